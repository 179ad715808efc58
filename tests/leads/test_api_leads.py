"""The leads API's lead endpoints: creation (influencer), validation and rejection (the
lead's merchant), the own-leads list, the commission preview; auth and CSRF."""

from decimal import Decimal

import pytest
from django.test import Client

from leads import services
from leads.models import Lead
from leads.throttle import CREATE_GROUP, create_rate

from .api_support import (
    API,
    assert_refused,
    bearer,
    post,
    put,
)
from .factories import make_campaign, make_influencer, make_lead, make_merchant, make_user

pytestmark = pytest.mark.django_db

LEAD_KEYS = {
    "id",
    "status",
    "campaign",
    "merchant",
    "influencer",
    "client_name",
    "client_email",
    "client_phone",
    "company",
    "estimated_value",
    "commission",
    "source",
    "notes",
    "rating",
    "feedback",
    "reason",
    "created_at",
    "resolved_at",
}
DEPOSIT_KEYS = {"balance", "reserved", "available", "reference", "percent", "level", "currency"}


def lead_body(campaign, **fields):
    return {
        "campaign_id": campaign.pk,
        "client_name": "Youssef Benali",
        "client_email": "youssef@techcorp.ma",
        "client_phone": "0612345678",
        "company": "TechCorp",
        "estimated_value": "1500",
        "source": "instagram",
        "notes": "Veut un site vitrine",
        **fields,
    }


# --- creation -------------------------------------------------------------------------


def test_an_influencer_creates_a_lead_and_its_commission_is_reserved(as_influencer, campaign, merchant):
    response = post(as_influencer, f"{API}/create", lead_body(campaign))
    assert response.status_code == 201, response.content
    body = response.json()
    lead = Lead.objects.get()
    assert body == {
        "id": lead.pk,
        "status": "pending",
        "commission": {"total": "80.00", "influencer": "24.00", "currency": "MAD"},
    }
    merchant.deposit.refresh_from_db()
    assert merchant.deposit.reserved == Decimal("80.00")


def test_an_estimated_value_may_be_a_json_number(as_influencer, campaign):
    response = post(as_influencer, f"{API}/create", lead_body(campaign, estimated_value=500))
    assert response.status_code == 201
    assert response.json()["commission"] == {"total": "50.00", "influencer": "15.00", "currency": "MAD"}


def test_a_lead_can_be_created_with_a_personal_token_and_no_csrf(campaign, influencer):
    client = Client(enforce_csrf_checks=True)
    response = post(client, f"{API}/create", lead_body(campaign), **bearer(influencer.user))
    assert response.status_code == 201


def test_a_session_post_needs_the_csrf_token(campaign, influencer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(influencer.user)
    assert_refused(post(client, f"{API}/create", lead_body(campaign)), 403, "CSRF_FAILED")
    client.cookies["csrftoken"] = "a" * 32
    response = post(client, f"{API}/create", lead_body(campaign), HTTP_X_CSRFTOKEN="a" * 32)
    assert response.status_code == 201


def test_without_authentication_the_answer_is_a_401_in_the_envelope(client, campaign):
    assert_refused(post(client, f"{API}/create", lead_body(campaign)), 401, "UNAUTHORIZED")
    assert_refused(client.get(f"{API}/"), 401, "UNAUTHORIZED")
    assert_refused(client.get(f"{API}/", HTTP_AUTHORIZATION="Bearer pt_unknown"), 401, "UNAUTHORIZED")


def test_a_merchant_cannot_create_a_lead(as_merchant, campaign):
    assert_refused(post(as_merchant, f"{API}/create", lead_body(campaign)), 403, "NOT_AN_INFLUENCER")


def test_a_deposit_that_cannot_cover_the_commission_refuses_the_lead(client, influencer):
    poor = make_merchant(balance="100")
    poor_campaign = make_campaign(poor)
    client.force_login(influencer.user)
    assert post(client, f"{API}/create", lead_body(poor_campaign)).status_code == 201
    second = post(client, f"{API}/create", lead_body(poor_campaign, client_email="autre@x.ma", client_phone=""))
    assert_refused(second, 409, "DEPOSIT_INSUFFICIENT")
    assert Lead.objects.count() == 1


def test_a_paused_campaign_refuses_leads(as_influencer, campaign, merchant):
    services.campaign_pause(merchant=merchant, campaign_id=campaign.pk)
    assert_refused(post(as_influencer, f"{API}/create", lead_body(campaign)), 409, "CAMPAIGN_PAUSED")


def test_the_same_client_twice_is_a_duplicate(as_influencer, campaign):
    assert post(as_influencer, f"{API}/create", lead_body(campaign)).status_code == 201
    again = post(as_influencer, f"{API}/create", lead_body(campaign, client_email="YOUSSEF@techcorp.ma "))
    assert_refused(again, 409, "DUPLICATE_LEAD")


def test_an_unknown_campaign_is_a_404(as_influencer, campaign):
    response = post(as_influencer, f"{API}/create", lead_body(campaign, campaign_id=999999))
    assert_refused(response, 404, "CAMPAIGN_NOT_FOUND")


@pytest.mark.parametrize(
    "fields, code, field",
    [
        ({"client_name": None}, "INVALID_REQUEST", "client_name"),
        ({"client_name": "   "}, "INVALID_REQUEST", "client_name"),
        ({"client_email": "not-an-email"}, "INVALID_REQUEST", "client_email"),
        ({"estimated_value": "9.99"}, "INVALID_VALUE", "estimated_value"),
        ({"estimated_value": "beaucoup"}, "INVALID_VALUE", "estimated_value"),
        ({"estimated_value": True}, "INVALID_VALUE", "estimated_value"),
        ({"estimated_value": "1e999999"}, "INVALID_VALUE", "estimated_value"),
        ({"source": "minitel"}, "INVALID_REQUEST", "source"),
        ({"client_email": "", "client_phone": ""}, "INVALID_VALUE", "client_email"),
        ({"campaign_id": "abc"}, "INVALID_REQUEST", "campaign_id"),
        ({"notes": "x" * 5001}, "INVALID_REQUEST", "notes"),
    ],
)
def test_bad_fields_are_a_422_naming_the_field(as_influencer, campaign, fields, code, field):
    body = {key: value for key, value in lead_body(campaign, **fields).items() if value is not None}
    refused = assert_refused(post(as_influencer, f"{API}/create", body), 422, code)
    assert field in refused["details"]
    assert not Lead.objects.exists()


# --- rate limit -------------------------------------------------------------------------


def _create_many(client, campaign, count: int, start: int = 0) -> list[int]:
    return [
        post(
            client,
            f"{API}/create",
            lead_body(campaign, client_email=f"c{i}@x.ma", client_phone="", estimated_value="100"),
        ).status_code
        for i in range(start, start + count)
    ]


def test_sixty_leads_a_minute_pass_and_the_sixty_first_is_a_429(as_influencer, campaign, frozen_clock):
    assert _create_many(as_influencer, campaign, 20) == [201] * 20  # a burst of 20
    assert _create_many(as_influencer, campaign, 40, start=20) == [201] * 40
    refused = post(as_influencer, f"{API}/create", lead_body(campaign, client_email="c60@x.ma", client_phone=""))
    body = assert_refused(refused, 429, "RATE_LIMIT_EXCEEDED")
    assert int(refused["Retry-After"]) >= 1 and body["message"]
    assert Lead.objects.count() == 60


def test_a_low_rate_setting_still_lets_a_burst_of_twenty_through(settings, as_influencer, campaign, frozen_clock):
    settings.LEADS_RATE_CREATE = "5/m"
    assert create_rate() == "20/m"
    assert _create_many(as_influencer, campaign, 20) == [201] * 20
    assert _create_many(as_influencer, campaign, 1, start=20) == [429]


def test_the_limit_is_per_user_and_counted_in_redis(client, as_influencer, campaign, influencer, frozen_clock):
    from django.core.cache import cache

    from core import limits

    _create_many(as_influencer, campaign, 3)
    counter = limits.counter_for(None, group=CREATE_GROUP, rate=create_rate(), ident=f"user:{influencer.user.pk}")
    assert cache.get(counter.key) == 3
    other = make_influencer()
    client.force_login(other.user)
    assert _create_many(client, campaign, 1, start=10) == [201]


# --- validation and rejection ---------------------------------------------------------


@pytest.fixture
def lead(campaign, influencer):
    return make_lead(campaign=campaign, influencer=influencer, value="1500")


def test_the_merchant_validates_a_lead_and_sees_the_deposit_move(as_merchant, lead):
    response = put(as_merchant, f"{API}/{lead.pk}/validate", {"rating": 8, "feedback": "Bon contact"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"lead", "deposit"}
    assert set(body["lead"]) == LEAD_KEYS and set(body["deposit"]) == DEPOSIT_KEYS
    assert (body["lead"]["status"], body["lead"]["rating"], body["lead"]["feedback"]) == ("validated", 8, "Bon contact")
    assert body["deposit"] == {
        "balance": "920.00",
        "reserved": "0.00",
        "available": "920.00",
        "reference": "1000.00",
        "percent": 92.0,
        "level": "healthy",
        "currency": "MAD",
    }


def test_the_merchant_rejects_a_lead_and_the_reservation_is_released(as_merchant, lead):
    response = put(as_merchant, f"{API}/{lead.pk}/reject", {"reason": "Client injoignable"})
    assert response.status_code == 200
    body = response.json()
    assert (body["lead"]["status"], body["lead"]["reason"]) == ("rejected", "Client injoignable")
    assert (body["deposit"]["balance"], body["deposit"]["reserved"]) == ("1000.00", "0.00")


def test_a_lead_resolves_once(as_merchant, lead):
    assert put(as_merchant, f"{API}/{lead.pk}/validate", {"rating": 8}).status_code == 200
    assert_refused(put(as_merchant, f"{API}/{lead.pk}/validate", {"rating": 8}), 409, "LEAD_ALREADY_RESOLVED")
    assert_refused(put(as_merchant, f"{API}/{lead.pk}/reject", {"reason": "non"}), 409, "LEAD_ALREADY_RESOLVED")


def test_another_merchants_lead_is_not_found(client, lead, other_merchant):
    client.force_login(other_merchant.user)
    assert_refused(put(client, f"{API}/{lead.pk}/validate", {"rating": 8}), 404, "LEAD_NOT_FOUND")
    assert_refused(put(client, f"{API}/{lead.pk}/reject", {"reason": "non"}), 404, "LEAD_NOT_FOUND")
    lead.refresh_from_db()
    assert lead.status == "pending"


def test_an_influencer_cannot_validate(as_influencer, lead):
    assert_refused(put(as_influencer, f"{API}/{lead.pk}/validate", {"rating": 8}), 403, "NOT_A_MERCHANT")


@pytest.mark.parametrize("rating", [0, 11, -3, 7.5, "sept", None])
def test_a_rating_outside_one_to_ten_is_refused(as_merchant, lead, rating):
    body = {} if rating is None else {"rating": rating}
    refused = assert_refused(put(as_merchant, f"{API}/{lead.pk}/validate", body), 422, "INVALID_RATING")
    assert "rating" in refused["details"]


def test_a_rejection_needs_a_reason(as_merchant, lead):
    assert_refused(put(as_merchant, f"{API}/{lead.pk}/reject", {"reason": "  "}), 422, "REASON_REQUIRED")
    assert_refused(put(as_merchant, f"{API}/{lead.pk}/reject", {}), 422, "INVALID_REQUEST")


def test_an_unknown_or_malformed_lead_id_is_refused(as_merchant):
    assert_refused(put(as_merchant, f"{API}/999999/validate", {"rating": 8}), 404, "LEAD_NOT_FOUND")
    assert_refused(put(as_merchant, f"{API}/abc/validate", {"rating": 8}), 422, "INVALID_REQUEST")
    assert_refused(put(as_merchant, f"{API}/{2**63}/validate", {"rating": 8}), 422, "INVALID_REQUEST")


# --- lists ------------------------------------------------------------------------------


def test_a_merchant_lists_only_their_own_leads(as_merchant, lead, other_merchant, influencer):
    make_lead(campaign=make_campaign(other_merchant), influencer=influencer)
    body = as_merchant.get(f"{API}/").json()
    assert (body["count"], body["page"], body["pages"], body["page_size"]) == (1, 1, 1, 25)
    [item] = body["items"]
    assert set(item) == LEAD_KEYS
    assert item["id"] == lead.pk and item["merchant"] == "Atlas Digital"
    assert item["campaign"] == {"id": lead.campaign_id, "name": "Sites vitrines"}
    assert item["estimated_value"] == "1500.00"


def test_an_influencer_lists_only_their_own_leads(as_influencer, lead, campaign):
    make_lead(campaign=campaign, influencer=make_influencer())
    body = as_influencer.get(f"{API}/").json()
    assert [item["id"] for item in body["items"]] == [lead.pk]


def test_the_list_filters_by_status_and_paginates(as_merchant, merchant, campaign, influencer):
    leads = [make_lead(campaign=campaign, influencer=influencer, value="100") for _ in range(5)]
    services.lead_reject(lead_id=leads[0].pk, merchant=merchant, reason="non")
    rejected = as_merchant.get(f"{API}/?status=rejected").json()
    assert [item["id"] for item in rejected["items"]] == [leads[0].pk]
    assert as_merchant.get(f"{API}/?status=").json()["count"] == 5
    page2 = as_merchant.get(f"{API}/?page=2&page_size=2").json()
    assert (page2["count"], page2["pages"], [i["id"] for i in page2["items"]]) == (5, 3, [leads[2].pk, leads[1].pk])
    assert as_merchant.get(f"{API}/?page=9&page_size=2").json()["items"] == []
    assert_refused(as_merchant.get(f"{API}/?status=lost"), 422, "INVALID_REQUEST")
    assert_refused(as_merchant.get(f"{API}/?page_size=1000"), 422, "INVALID_REQUEST")


def test_an_account_without_a_marketplace_role_is_forbidden(client):
    client.force_login(make_user("plain"))
    assert_refused(client.get(f"{API}/"), 403, "FORBIDDEN")


@pytest.mark.parametrize("count", [1, 10])
def test_the_lead_list_costs_the_same_queries_for_one_or_ten_leads(
    client, merchant, campaign, influencer, count, django_assert_num_queries
):
    for _ in range(count):
        make_lead(campaign=campaign, influencer=influencer, value="100")
    headers = bearer(merchant.user)
    # token + user, last use of the token, merchant profile, count, page
    with django_assert_num_queries(5):
        response = client.get(f"{API}/", **headers)
    assert len(response.json()["items"]) == count


# --- commission preview ---------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1500", {"total": "80.00", "influencer": "24.00", "type": "fixed", "currency": "MAD"}),
        ("500", {"total": "50.00", "influencer": "15.00", "type": "percent", "currency": "MAD"}),
        ("10", {"total": "1.00", "influencer": "0.30", "type": "percent", "currency": "MAD"}),
    ],
)
def test_the_commission_preview_uses_the_servers_rule(as_influencer, value, expected):
    assert as_influencer.get(f"{API}/commission?estimated_value={value}").json() == expected


def test_the_commission_preview_refuses_a_value_below_ten(as_merchant):
    assert_refused(as_merchant.get(f"{API}/commission?estimated_value=9.99"), 422, "INVALID_VALUE")
    assert_refused(as_merchant.get(f"{API}/commission"), 422, "INVALID_VALUE")


def test_the_commission_preview_needs_a_login(client):
    assert_refused(client.get(f"{API}/commission?estimated_value=100"), 401, "UNAUTHORIZED")


def test_the_api_is_documented(client):
    assert client.get(f"{API}/docs").status_code == 200
    paths = client.get(f"{API}/openapi.json").json()["paths"]
    assert {"/api/leads/create", "/api/leads/{id}/validate", "/api/leads/receipts/{number}.pdf"} <= set(paths)


def test_creating_a_lead_costs_a_constant_number_of_queries(client, influencer, campaign, django_assert_num_queries):
    # The token, the profile; then in one transaction: the campaign's merchant, the deposit
    # lock, the campaign, the duplicate check, the lead, the reservation (deposit and ledger
    # row), the history row, the level (read, campaigns), the merchant's notification and
    # e-mail (outbox), with their savepoints. (The test runs inside a transaction: the
    # e-mail's delivery after commit is not counted here.)
    headers = bearer(influencer.user)
    post(client, f"{API}/create", lead_body(campaign, client_email="first@example.com", client_phone=""), **headers)
    for email in ("second@example.com", "third@example.com"):
        with django_assert_num_queries(21):
            response = post(
                client, f"{API}/create", lead_body(campaign, client_email=email, client_phone=""), **headers
            )
        assert response.status_code == 201
