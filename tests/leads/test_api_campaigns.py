"""The leads API's campaigns (merchant: own ones; influencer: every active one), the
influencer's figures and payouts."""

from decimal import Decimal

import pytest

from leads import services
from leads.models import Campaign, Payout

from .api_support import API, assert_refused, patch, post
from .factories import make_campaign, make_influencer, make_lead, make_merchant, make_user

pytestmark = pytest.mark.django_db

CAMPAIGN_KEYS = {
    "id",
    "name",
    "description",
    "status",
    "paused_for_deposit",
    "merchant",
    "lead_count",
    "pending_count",
    "created_at",
}


# --- campaigns --------------------------------------------------------------------------


def test_a_merchant_lists_their_own_campaigns_with_lead_counts(
    as_merchant, merchant, campaign, influencer, other_merchant
):
    make_campaign(other_merchant, name="Pas à moi")
    lead = make_lead(campaign=campaign, influencer=influencer)
    make_lead(campaign=campaign, influencer=influencer)
    services.lead_reject(lead_id=lead.pk, merchant=merchant, reason="non")
    [item] = as_merchant.get(f"{API}/campaigns").json()
    assert set(item) == CAMPAIGN_KEYS
    assert (item["id"], item["name"], item["merchant"], item["status"]) == (
        campaign.pk,
        "Sites vitrines",
        "Atlas Digital",
        "active",
    )
    assert (item["lead_count"], item["pending_count"], item["paused_for_deposit"]) == (2, 1, False)


def test_an_influencer_lists_the_active_campaigns_of_every_merchant(as_influencer, campaign, merchant, other_merchant):
    theirs = make_campaign(other_merchant, name="Applications")
    paused = make_campaign(other_merchant, name="En pause")
    services.campaign_pause(merchant=other_merchant, campaign_id=paused.pk)
    items = as_influencer.get(f"{API}/campaigns").json()
    assert [(i["id"], i["merchant"]) for i in items] == [(campaign.pk, "Atlas Digital"), (theirs.pk, "Rival SARL")]
    assert all(i["lead_count"] is None and i["pending_count"] is None for i in items)


def test_a_merchant_creates_a_campaign(as_merchant, merchant):
    response = post(as_merchant, f"{API}/campaigns", {"name": " Refonte de site ", "description": "Sites PME"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == CAMPAIGN_KEYS
    assert (body["name"], body["description"], body["status"], body["lead_count"]) == (
        "Refonte de site",
        "Sites PME",
        "active",
        0,
    )
    assert Campaign.objects.get(pk=body["id"]).merchant == merchant


def test_a_campaign_created_on_a_depleted_deposit_starts_paused(client):
    broke = make_merchant()
    client.force_login(broke.user)
    body = post(client, f"{API}/campaigns", {"name": "Sans dépôt"}).json()
    assert (body["status"], body["paused_for_deposit"]) == ("paused", True)


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "   "}, {"name": "x" * 121}])
def test_a_campaign_needs_a_name(as_merchant, body):
    refused = assert_refused(post(as_merchant, f"{API}/campaigns", body), 422, "INVALID_REQUEST")
    assert "name" in refused["details"]


def test_an_influencer_cannot_create_a_campaign(as_influencer):
    assert_refused(post(as_influencer, f"{API}/campaigns", {"name": "Non"}), 403, "NOT_A_MERCHANT")


def test_editing_a_campaign_changes_only_the_fields_sent(as_merchant, campaign):
    services.campaign_update(
        merchant=campaign.merchant, campaign_id=campaign.pk, name=campaign.name, description="Avant"
    )
    body = patch(as_merchant, f"{API}/campaigns/{campaign.pk}", {"name": "Sites e-commerce"}).json()
    assert (body["name"], body["description"]) == ("Sites e-commerce", "Avant")
    body = patch(as_merchant, f"{API}/campaigns/{campaign.pk}", {"description": ""}).json()
    assert (body["name"], body["description"]) == ("Sites e-commerce", "")


def test_pausing_and_resuming_a_campaign(as_merchant, campaign):
    paused = post(as_merchant, f"{API}/campaigns/{campaign.pk}/pause")
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    resumed = post(as_merchant, f"{API}/campaigns/{campaign.pk}/resume")
    assert resumed.status_code == 200 and resumed.json()["status"] == "active"


def test_a_campaign_cannot_resume_while_the_deposit_is_depleted(client):
    broke = make_merchant()
    client.force_login(broke.user)
    campaign = make_campaign(broke)
    assert_refused(post(client, f"{API}/campaigns/{campaign.pk}/resume"), 409, "CAMPAIGN_DEPOSIT_DEPLETED")


def test_another_merchants_campaign_is_not_found(as_merchant, other_merchant):
    theirs = make_campaign(other_merchant)
    for response in (
        patch(as_merchant, f"{API}/campaigns/{theirs.pk}", {"name": "Volée"}),
        post(as_merchant, f"{API}/campaigns/{theirs.pk}/pause"),
        post(as_merchant, f"{API}/campaigns/{theirs.pk}/resume"),
    ):
        assert_refused(response, 404, "CAMPAIGN_NOT_FOUND")
    theirs.refresh_from_db()
    assert (theirs.name, theirs.status) == ("Marketing digital", "active")


def test_an_account_without_a_role_sees_no_campaigns(client):
    client.force_login(make_user("plain"))
    assert_refused(client.get(f"{API}/campaigns"), 403, "FORBIDDEN")


# --- the influencer's figures and payouts ----------------------------------------------


def test_the_influencer_sees_their_figures(as_influencer, merchant, campaign, influencer):
    validated = make_lead(campaign=campaign, influencer=influencer, value="1500")
    rejected = make_lead(campaign=campaign, influencer=influencer, value="500")
    make_lead(campaign=campaign, influencer=influencer, value="500")
    make_lead(campaign=campaign, influencer=make_influencer())  # someone else's
    services.lead_validate(lead_id=validated.pk, merchant=merchant, rating=9)
    services.lead_reject(lead_id=rejected.pk, merchant=merchant, reason="non")
    assert as_influencer.get(f"{API}/influencer/stats").json() == {
        "total": 3,
        "by_status": {"pending": 1, "validated": 1, "rejected": 1, "expired": 0},
        "validation_rate": 50.0,
        "commissions_earned": "24.00",
        "available_earnings": "24.00",
        "currency": "MAD",
    }


def test_a_new_influencer_has_no_validation_rate(as_influencer):
    body = as_influencer.get(f"{API}/influencer/stats").json()
    assert (body["total"], body["validation_rate"], body["available_earnings"]) == (0, None, "0.00")


def test_a_merchant_has_no_influencer_figures(as_merchant):
    assert_refused(as_merchant.get(f"{API}/influencer/stats"), 403, "NOT_AN_INFLUENCER")
    assert_refused(as_merchant.get(f"{API}/payouts"), 403, "NOT_AN_INFLUENCER")


@pytest.fixture
def earning_influencer(influencer):
    """An influencer with 240.00 MAD of earnings (ten validated leads of 80.00)."""
    merchant = make_merchant(balance="1000")
    campaign = make_campaign(merchant)
    for _ in range(10):
        lead = make_lead(campaign=campaign, influencer=influencer, value="1500")
        services.lead_validate(lead_id=lead.pk, merchant=merchant, rating=8)
    return influencer


def test_an_influencer_requests_a_payout_of_all_earnings(as_influencer, earning_influencer):
    response = post(as_influencer, f"{API}/payouts")
    assert response.status_code == 201, response.content
    body = response.json()
    payout = Payout.objects.get()
    assert body["id"] == payout.pk
    assert (body["status"], body["amount"], body["currency"], body["bank_holder"]) == (
        "requested",
        "240.00",
        "MAD",
        "Sara Alami",
    )
    assert as_influencer.get(f"{API}/influencer/stats").json()["available_earnings"] == "0.00"
    [listed] = as_influencer.get(f"{API}/payouts").json()
    assert listed == body


def test_an_influencer_requests_part_of_their_earnings(as_influencer, earning_influencer):
    assert post(as_influencer, f"{API}/payouts", {"amount": "150"}).json()["amount"] == "150.00"
    earning_influencer.refresh_from_db()
    assert earning_influencer.earnings == Decimal("90.00")


def test_a_payout_is_refused_below_the_minimum_or_beyond_the_earnings(as_influencer, earning_influencer):
    assert_refused(post(as_influencer, f"{API}/payouts", {"amount": "50"}), 422, "PAYOUT_BELOW_MINIMUM")
    assert_refused(post(as_influencer, f"{API}/payouts", {"amount": "1000"}), 409, "EARNINGS_INSUFFICIENT")
    assert not Payout.objects.exists()


def test_a_payout_needs_bank_details(client):
    influencer = make_influencer()
    client.force_login(influencer.user)
    assert_refused(post(client, f"{API}/payouts"), 422, "BANK_DETAILS_MISSING")


def test_an_influencer_lists_only_their_own_payouts(as_influencer, earning_influencer):
    other = make_influencer(bank_holder="Autre", bank_rib="0117")
    Payout.objects.create(influencer=other, amount="100", bank_holder="Autre", bank_rib="0117")
    assert as_influencer.get(f"{API}/payouts").json() == []
