"""What staff decide in the leads admin goes through the services, object by object:
leads validated, rejected or settled in arbitration, payouts paid or refused,
campaigns paused and resumed, accounts opened and closed; each refusal is reported
as a message, never a 500."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.personal_tokens import personal_token_create
from core.models import OutboundMessage
from leads.models import InfluencerProfile, Lead, LeadEvent, LedgerEntry, MerchantProfile, Payout

from .admin_helpers import changelist, credit_earnings, expire, messages_of, payout_for, run_action
from .factories import ledger_consistent, make_campaign, make_influencer, make_lead, make_merchant

pytestmark = pytest.mark.django_db


@pytest.fixture
def leads():
    merchant = make_merchant(balance="1000")
    campaign, influencer = make_campaign(merchant), make_influencer()
    return [make_lead(campaign=campaign, influencer=influencer, value="1500") for _ in range(2)]


# --- leads ----------------------------------------------------------------------------------


def test_validate_asks_for_a_rating_on_an_admin_page_first(staff_client, leads):
    response = run_action(staff_client, "lead", "validate_selected", leads)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="rating"' in html and 'name="feedback"' in html and leads[0].client_name in html
    assert Lead.objects.filter(status="pending").count() == 2


def test_validate_runs_the_service_for_each_lead_with_the_rating(staff_client, leads):
    response = run_action(staff_client, "lead", "validate_selected", leads, rating="9", feedback="Très bon contact")
    assert response.status_code == 200
    assert "2 leads validés." in messages_of(response)
    for lead in leads:
        lead.refresh_from_db()
        assert (lead.status, lead.rating, lead.feedback) == ("validated", 9, "Très bon contact")
        assert LeadEvent.objects.get(lead=lead, to_status="validated").actor == staff_client.user
    assert LedgerEntry.objects.filter(kind="deduction", actor=staff_client.user).count() == 2
    merchant = leads[0].merchant
    merchant.deposit.refresh_from_db()
    assert merchant.deposit.balance == Decimal("840.00") and ledger_consistent(merchant)


@pytest.mark.parametrize("rating", ["", "0", "11", "abc"])
def test_validate_without_a_valid_rating_shows_the_form_again(staff_client, leads, rating):
    response = run_action(staff_client, "lead", "validate_selected", leads, rating=rating)
    assert response.status_code == 400 and "errornote" in response.content.decode()
    assert Lead.objects.filter(status="pending").count() == 2


def test_a_lead_already_resolved_is_reported_and_the_others_validated(staff_client, leads):
    run_action(staff_client, "lead", "reject_selected", leads[:1], reason="Faux numéro")
    response = run_action(staff_client, "lead", "validate_selected", leads, rating="7")
    texts = messages_of(response)
    assert "1 lead validé." in texts
    assert any(str(leads[0]) in t and "déjà traité" in t for t in texts)
    assert Lead.objects.get(pk=leads[0].pk).status == "rejected"
    assert Lead.objects.get(pk=leads[1].pk).status == "validated"


def test_reject_requires_a_reason_then_releases_the_reservation(staff_client, leads):
    assert run_action(staff_client, "lead", "reject_selected", leads, reason="  ").status_code == 400
    response = run_action(staff_client, "lead", "reject_selected", leads[:1], reason="Client injoignable")
    assert "1 lead rejeté." in messages_of(response)
    lead = Lead.objects.get(pk=leads[0].pk)
    assert (lead.status, lead.reason) == ("rejected", "Client injoignable")
    merchant = lead.merchant
    merchant.deposit.refresh_from_db()
    assert merchant.deposit.reserved == Decimal("80.00") and ledger_consistent(merchant)


def test_arbitration_validates_an_expired_lead_and_refuses_a_pending_one(staff_client, leads):
    expired = expire(leads[0])
    response = run_action(
        staff_client, "lead", "dispute_validate_selected", [expired, leads[1]], rating="6", reason="Vente prouvée"
    )
    texts = messages_of(response)
    assert "1 lead validé en arbitrage." in texts
    assert any("Seul un lead expiré" in t for t in texts)
    expired.refresh_from_db()
    assert (expired.status, expired.rating, expired.reason) == ("validated", 6, "Vente prouvée")
    assert Lead.objects.get(pk=leads[1].pk).status == "pending"
    assert ledger_consistent(expired.merchant)


def test_arbitration_needs_a_reason(staff_client, leads):
    expired = expire(leads[0])
    assert run_action(staff_client, "lead", "dispute_validate_selected", [expired], rating="6").status_code == 400
    assert Lead.objects.get(pk=expired.pk).status == "expired"


def test_staff_who_may_only_view_leads_cannot_run_the_actions(client, django_user_model, leads):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user(username="viewer", password="pw-view-12345", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_lead"))
    client.force_login(viewer)
    html = client.get(changelist("lead")).content.decode()
    assert "validate_selected" not in html
    run_action(client, "lead", "validate_selected", leads, rating="9")
    assert Lead.objects.filter(status="pending").count() == 2


# --- payouts --------------------------------------------------------------------------------


def test_a_payout_is_marked_paid_with_the_transfer_reference(staff_client):
    payout = payout_for(amount="150")
    page = run_action(staff_client, "payout", "mark_paid", [payout])
    assert page.status_code == 200 and 'name="transfer_reference"' in page.content.decode()
    response = run_action(staff_client, "payout", "mark_paid", [payout], transfer_reference="VIR-PAY-77")
    assert "1 demande marquée payée." in messages_of(response)
    payout.refresh_from_db()
    assert (payout.status, payout.transfer_reference, payout.resolved_by) == ("paid", "VIR-PAY-77", staff_client.user)
    assert LedgerEntry.objects.filter(payout=payout, kind="payout_paid").exists()


def test_a_refused_payout_gives_the_earnings_back_and_cannot_be_paid_after(staff_client):
    payout = payout_for(amount="150")
    response = run_action(staff_client, "payout", "refuse", [payout], reason="RIB invalide")
    assert "1 demande refusée." in messages_of(response)
    payout.refresh_from_db()
    assert (payout.status, payout.reason) == ("refused", "RIB invalide")
    assert InfluencerProfile.objects.get(pk=payout.influencer_id).earnings == Decimal("150.00")
    again = run_action(staff_client, "payout", "mark_paid", [payout], transfer_reference="VIR-1")
    assert any("déjà traitée" in t for t in messages_of(again))
    assert Payout.objects.get(pk=payout.pk).status == "refused"


def test_a_refusal_needs_a_reason(staff_client):
    payout = payout_for()
    assert run_action(staff_client, "payout", "refuse", [payout], reason="").status_code == 400
    assert Payout.objects.get(pk=payout.pk).status == "requested"


# --- campaigns ------------------------------------------------------------------------------


def test_campaigns_are_paused_and_resumed_through_the_services(staff_client):
    merchant = make_merchant(balance="1000")
    campaign = make_campaign(merchant)
    assert "1 campagne en pause." in messages_of(run_action(staff_client, "campaign", "pause", [campaign], follow=True))
    campaign.refresh_from_db()
    assert (campaign.status, campaign.paused_for_deposit) == ("paused", False)
    run_action(staff_client, "campaign", "resume", [campaign])
    campaign.refresh_from_db()
    assert campaign.status == "active"


def test_a_campaign_of_a_depleted_deposit_does_not_resume(staff_client):
    campaign = make_campaign(make_merchant())
    response = run_action(staff_client, "campaign", "resume", [campaign], follow=True)
    assert any("épuisé" in t for t in messages_of(response))
    campaign.refresh_from_db()
    assert campaign.status == "paused"


# --- accounts -------------------------------------------------------------------------------


def test_staff_create_a_merchant_with_a_password_and_it_can_log_in(staff_client):
    url = reverse("admin:leads_merchantprofile_add")
    assert 'name="ice"' in staff_client.get(url).content.decode()
    data = {
        "username": "atlas",
        "email": "contact@atlas.ma",
        "name": "Atlas Digital",
        "phone": "0612345678",
        "ice": "001234567000089",
        "language": "fr",
        "password": "Atlas-Secret-2026",
    }
    response = staff_client.post(url, data, follow=True)
    merchant = MerchantProfile.objects.get(company_name="Atlas Digital")
    assert response.redirect_chain[-1][0] == reverse("admin:leads_merchantprofile_change", args=[merchant.pk])
    assert merchant.ice == "001234567000089" and merchant.deposit.balance == 0
    assert OutboundMessage.objects.filter(key=f"leads:welcome:{merchant.user_id}").exists()
    assert Client().login(username="atlas", password="Atlas-Secret-2026")


def test_staff_create_an_influencer_who_gets_a_password_reset_email(staff_client):
    data = {"username": "sara", "email": "sara@example.com", "name": "Sara Lifestyle", "language": "fr"}
    staff_client.post(reverse("admin:leads_influencerprofile_add"), data)
    influencer = InfluencerProfile.objects.get(display_name="Sara Lifestyle")
    reset = OutboundMessage.objects.filter(
        to="sara@example.com", key__startswith=f"password-reset:{influencer.user_id}:"
    )
    assert reset.count() == 1 and "/compte/mot-de-passe/" in reset.get().body


def test_a_taken_username_or_weak_password_shows_the_form_again(staff_client):
    make_merchant()
    taken = MerchantProfile.objects.get().user.username
    url = reverse("admin:leads_merchantprofile_add")
    base = {"email": "new@example.com", "name": "Nouvelle", "language": "fr"}
    response = staff_client.post(url, {**base, "username": taken})
    assert response.status_code == 400 and "déjà pris" in response.content.decode()
    response = staff_client.post(url, {**base, "username": "fresh", "password": "123"})
    assert response.status_code == 400
    assert MerchantProfile.objects.count() == 1


def test_a_deactivated_account_can_no_longer_log_in_nor_use_its_token(staff_client):
    # staff_client is pytest-django's `client`: the merchant uses a browser of its own.
    client = Client()
    merchant = make_merchant()
    _token, plaintext = personal_token_create(user=merchant.user, name="script")
    assert client.get("/api/notifications", HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code == 200
    response = run_action(staff_client, "merchantprofile", "deactivate", [merchant], follow=True)
    assert any("1 compte désactivé" in t for t in messages_of(response))
    assert not client.login(username=merchant.user.username, password="pw-Secret-123")
    login = client.post(reverse("accounts:login"), {"username": merchant.user.username, "password": "pw-Secret-123"})
    assert login.status_code == 200 and "incorrect" in login.content.decode()
    assert client.get("/api/notifications", HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code == 401
    run_action(staff_client, "merchantprofile", "reactivate", [merchant])
    assert client.login(username=merchant.user.username, password="pw-Secret-123")


def test_the_account_lists_show_deposit_level_and_earnings(staff_client):
    make_merchant(balance="1000", company="Atlas Digital")
    influencer = make_influencer()
    credit_earnings(influencer, "124.50")
    assert "Solde sain" in staff_client.get(changelist("merchantprofile")).content.decode()
    assert "124,50" in staff_client.get(changelist("influencerprofile")).content.decode()


def test_a_campaign_is_renamed_through_its_service_and_its_status_stays(staff_client):
    campaign = make_campaign(make_merchant(balance="1000"), name="Ancien nom")
    url = reverse("admin:leads_campaign_change", args=[campaign.pk])
    response = staff_client.post(url, {"name": "Nouveau nom", "description": "Leads B2B", "status": "paused"})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.name, campaign.description, campaign.status) == ("Nouveau nom", "Leads B2B", "active")
