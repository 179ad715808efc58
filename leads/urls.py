from django.urls import path

from . import views

app_name = "leads"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("merchant/", views.merchant_dashboard, name="merchant"),
    path("influencer/", views.influencer_dashboard, name="influencer"),
]
