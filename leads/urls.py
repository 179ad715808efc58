from django.urls import path

from .views import influencer, merchant, merchant_money, signup

app_name = "leads"

urlpatterns = [
    path("signup/", signup.signup, name="signup"),
    # The merchant's dashboard and its actions.
    path("merchant/", merchant.dashboard, name="merchant"),
    path("merchant/leads/<int:lead_id>/validate/", merchant.lead_validate, name="lead_validate"),
    path("merchant/leads/<int:lead_id>/reject/", merchant.lead_reject, name="lead_reject"),
    path("merchant/campaigns/", merchant.campaign_create, name="campaign_create"),
    path("merchant/campaigns/<int:campaign_id>/", merchant.campaign_update, name="campaign_update"),
    path("merchant/campaigns/<int:campaign_id>/pause/", merchant.campaign_pause, name="campaign_pause"),
    path("merchant/campaigns/<int:campaign_id>/resume/", merchant.campaign_resume, name="campaign_resume"),
    path("merchant/recharge/", merchant_money.recharge, name="recharge"),
    path("merchant/recharges/<int:recharge_id>/status/", merchant_money.recharge_status, name="recharge_status"),
    path("merchant/receipts/<str:number>.pdf", merchant_money.receipt_download, name="receipt"),
    path("merchant/transactions/", merchant_money.transactions, name="transactions"),
    path("merchant/transactions.csv", merchant_money.transactions_csv, name="transactions_csv"),
    # The influencer's dashboard and its actions.
    path("influencer/", influencer.dashboard, name="influencer"),
    path("influencer/commission/", influencer.commission_preview, name="commission_preview"),
    path("influencer/leads/", influencer.lead_create, name="lead_create"),
    path("influencer/bank/", influencer.bank_details, name="bank_details"),
    path("influencer/payouts/", influencer.payout_request, name="payout_request"),
]
