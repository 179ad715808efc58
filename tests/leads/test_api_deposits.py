"""The leads API's money endpoints for merchants: the deposit, online recharges (Stripe
mocked over HTTP, webhooks signed with the real scheme), the ledger, receipts."""

from datetime import timedelta

import pytest
import requests
import responses
from django.core.files.base import ContentFile
from django.utils.dateparse import parse_datetime

from leads.models import Receipt, Recharge
from payments.models import Checkout
from tests.payments.stripe_helpers import (
    SESSIONS_URL,
    checkout_session_object,
    configure_stripe,
    mock_session_create,
    signed_webhook,
    stripe_event,
)

from .api_support import API, assert_refused, bearer, post
from .factories import fund, make_lead

pytestmark = pytest.mark.django_db

DEPOSIT_KEYS = {"balance", "reserved", "available", "reference", "percent", "level", "currency"}
RECHARGE_KEYS = {"id", "status", "amount", "paid_amount", "currency", "receipt", "created_at", "paid_at"}
TRANSACTION_KEYS = {
    "id",
    "created_at",
    "kind",
    "label",
    "balance_delta",
    "reserved_delta",
    "amount",
    "currency",
    "lead_id",
    "reason",
}


# --- the deposit ------------------------------------------------------------------------


def test_the_merchant_sees_their_deposit(as_merchant, campaign, influencer):
    make_lead(campaign=campaign, influencer=influencer, value="1500")
    assert as_merchant.get(f"{API}/deposit").json() == {
        "balance": "1000.00",
        "reserved": "80.00",
        "available": "920.00",
        "reference": "1000.00",
        "percent": 100.0,
        "level": "healthy",
        "currency": "MAD",
    }


def test_each_merchant_sees_only_their_own_deposit(client, merchant, other_merchant, campaign, influencer):
    make_lead(campaign=campaign, influencer=influencer, value="1500")
    body = client.get(f"{API}/deposit", **bearer(other_merchant.user)).json()
    assert (body["balance"], body["reserved"]) == ("1000.00", "0.00")


def test_an_influencer_has_no_deposit(as_influencer):
    assert_refused(as_influencer.get(f"{API}/deposit"), 403, "NOT_A_MERCHANT")


@pytest.mark.parametrize("count", [1, 10])
def test_the_deposit_costs_the_same_queries_for_one_or_ten_leads(
    client, merchant, campaign, influencer, count, django_assert_num_queries
):
    for _ in range(count):
        make_lead(campaign=campaign, influencer=influencer, value="100")
    headers = bearer(merchant.user)
    # token + user, last use of the token, merchant profile, deposit
    with django_assert_num_queries(4):
        assert client.get(f"{API}/deposit", **headers).status_code == 200


# --- online recharge ----------------------------------------------------------------------


@pytest.fixture
def stripe(settings):
    configure_stripe(settings)


def test_a_recharge_opens_a_checkout_page(as_merchant, merchant, stripe):
    with responses.RequestsMock() as rsps:
        session_id = mock_session_create(rsps)
        response = post(as_merchant, f"{API}/deposits/recharge", {"amount": "5000"})
    assert response.status_code == 201, response.content
    recharge = Recharge.objects.get(merchant=merchant, method="online")
    assert response.json() == {
        "checkout_url": f"https://checkout.stripe.com/c/pay/{session_id}",
        "session_id": session_id,
        "recharge_id": recharge.pk,
        "status": "pending",
    }


def test_a_recharge_paid_by_webhook_shows_as_paid_with_its_receipt(client, as_merchant, merchant, stripe):
    with responses.RequestsMock() as rsps:
        mock_session_create(rsps)
        recharge_id = post(as_merchant, f"{API}/deposits/recharge", {"amount": 2000}).json()["recharge_id"]
    pending = as_merchant.get(f"{API}/deposits/recharges/{recharge_id}").json()
    assert set(pending) == RECHARGE_KEYS
    assert (pending["status"], pending["amount"], pending["paid_amount"], pending["receipt"]) == (
        "pending",
        "2000.00",
        None,
        None,
    )
    checkout = Checkout.objects.get(domain="leads.recharge", reference=str(recharge_id))
    event = stripe_event("checkout.session.completed", checkout_session_object(checkout=checkout))
    assert signed_webhook(client, event).status_code == 200
    paid = as_merchant.get(f"{API}/deposits/recharges/{recharge_id}").json()
    receipt = Receipt.objects.get(recharge_id=recharge_id)
    assert (paid["status"], paid["paid_amount"], paid["receipt"], paid["currency"]) == (
        "paid",
        "2000.00",
        receipt.number,
        "MAD",
    )
    assert paid["paid_at"] is not None
    assert as_merchant.get(f"{API}/deposit").json()["balance"] == "3000.00"


@pytest.mark.parametrize("amount", ["100", "499.99", "100001", "cinq mille", None, "NaN", "1e999999"])
def test_a_recharge_outside_the_bounds_is_refused(as_merchant, merchant, stripe, amount):
    refused = assert_refused(post(as_merchant, f"{API}/deposits/recharge", {"amount": amount}), 422, "AMOUNT_INVALID")
    assert "amount" in refused["details"]
    assert not Recharge.objects.filter(merchant=merchant, method="online").exists()


@pytest.mark.parametrize(
    "failure", [requests.exceptions.ConnectionError("unreachable"), requests.exceptions.Timeout("10 s")]
)
def test_an_unreachable_provider_is_a_502(as_merchant, stripe, failure):
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, SESSIONS_URL, body=failure)
        response = post(as_merchant, f"{API}/deposits/recharge", {"amount": "5000"})
    assert_refused(response, 502, "PAYMENT_PROVIDER_ERROR")


def test_without_payment_keys_a_recharge_is_a_503(as_merchant, settings):
    settings.STRIPE_SECRET_KEY = ""
    assert_refused(post(as_merchant, f"{API}/deposits/recharge", {"amount": "5000"}), 503, "PAYMENT_NOT_CONFIGURED")


def test_an_influencer_cannot_recharge(as_influencer, stripe):
    assert_refused(post(as_influencer, f"{API}/deposits/recharge", {"amount": "5000"}), 403, "NOT_A_MERCHANT")


def test_another_merchants_recharge_is_not_found(client, merchant, other_merchant):
    theirs = Recharge.objects.get(merchant=other_merchant)
    mine = Recharge.objects.get(merchant=merchant)
    headers = bearer(merchant.user)
    assert client.get(f"{API}/deposits/recharges/{mine.pk}", **headers).json()["status"] == "paid"
    assert_refused(client.get(f"{API}/deposits/recharges/{theirs.pk}", **headers), 404, "RECHARGE_NOT_FOUND")
    assert_refused(client.get(f"{API}/deposits/recharges/0", **headers), 422, "INVALID_REQUEST")


# --- the ledger ---------------------------------------------------------------------------


def test_the_ledger_lists_the_movements_newest_first(as_merchant, merchant, campaign, influencer, other_merchant):
    lead = make_lead(campaign=campaign, influencer=influencer, value="1500")
    body = as_merchant.get(f"{API}/deposit/transactions").json()
    assert (body["count"], body["page"], body["pages"], body["page_size"]) == (2, 1, 1, 50)
    reservation, recharge = body["items"]
    assert set(reservation) == TRANSACTION_KEYS
    assert (reservation["kind"], reservation["label"]) == ("reservation", "Réservation")
    assert reservation["lead_id"] == lead.pk
    assert (reservation["balance_delta"], reservation["reserved_delta"], reservation["amount"]) == (
        "0.00",
        "80.00",
        "80.00",
    )
    assert (recharge["kind"], recharge["balance_delta"], recharge["amount"], recharge["currency"]) == (
        "recharge",
        "1000.00",
        "1000.00",
        "MAD",
    )


def test_the_ledger_is_paginated_and_scoped_to_the_merchant(as_merchant, merchant, other_merchant):
    for _ in range(4):
        fund(merchant, "500")
    fund(other_merchant, "500")
    page = as_merchant.get(f"{API}/deposit/transactions?page=2&page_size=2").json()
    assert (page["count"], page["pages"], len(page["items"])) == (5, 3, 2)
    assert_refused(as_merchant.get(f"{API}/deposit/transactions?page=0"), 422, "INVALID_REQUEST")


# --- receipts -----------------------------------------------------------------------------


def test_the_merchant_lists_their_receipts_with_their_pdf_link(as_merchant, merchant, other_merchant):
    receipt = Receipt.objects.get(merchant=merchant)
    [listed] = as_merchant.get(f"{API}/receipts").json()
    issued_at = parse_datetime(listed.pop("issued_at"))
    assert abs(issued_at - receipt.issued_at) < timedelta(milliseconds=1)
    assert listed == {
        "number": receipt.number,
        "amount": "1000.00",
        "currency": "MAD",
        "url": f"/api/leads/receipts/{receipt.number}.pdf",
    }


def test_a_receipt_downloads_as_a_pdf_attachment(as_merchant, merchant):
    receipt = Receipt.objects.get(merchant=merchant)
    response = as_merchant.get(f"{API}/receipts/{receipt.number}.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{receipt.number}.pdf"'
    assert response.content.startswith(b"%PDF") and receipt.number.encode() in response.content


def test_the_stored_pdf_is_the_one_served(as_merchant, merchant, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    receipt = Receipt.objects.get(merchant=merchant)
    receipt.pdf.save(f"{receipt.number}.pdf", ContentFile(b"%PDF-1.4 stored copy"))
    assert as_merchant.get(f"{API}/receipts/{receipt.number}.pdf").content == b"%PDF-1.4 stored copy"


def test_another_merchants_receipt_is_not_found(as_merchant, other_merchant):
    theirs = Receipt.objects.get(merchant=other_merchant)
    assert_refused(as_merchant.get(f"{API}/receipts/{theirs.number}.pdf"), 404, "RECEIPT_NOT_FOUND")
    assert as_merchant.get(f"{API}/receipts").json()[0]["number"] != theirs.number
    assert_refused(as_merchant.get(f"{API}/receipts/REC-0000-000000.pdf"), 404, "RECEIPT_NOT_FOUND")


def test_an_influencer_has_no_receipts(as_influencer):
    assert_refused(as_influencer.get(f"{API}/receipts"), 403, "NOT_A_MERCHANT")
