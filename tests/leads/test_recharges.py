"""Recharging a deposit: Stripe Checkout (mocked HTTP, webhooks signed with the real
scheme on the real endpoint), bank transfers, refunds and disputes, receipts."""

from decimal import Decimal

import pytest
import responses
from django.core import mail

from core.models import OutboundMessage
from leads.errors import LeadError
from leads.models import Campaign, LedgerEntry, Receipt, Recharge
from leads.recharges import recharge_start
from payments.errors import PaymentError
from payments.models import Checkout
from tests.concurrency import run_at_once
from tests.payments.stripe_helpers import (
    charge_object,
    checkout_session_object,
    configure_stripe,
    dispute_object,
    mock_session_create,
    sent_form,
    signed_webhook,
    stripe_event,
)

from .factories import fund, ledger_consistent, make_campaign, make_merchant

pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe(settings):
    configure_stripe(settings)


def _start(merchant, amount="5000"):
    with responses.RequestsMock() as rsps:
        mock_session_create(rsps)
        recharge = recharge_start(merchant=merchant, amount=amount)
        call = rsps.calls[0]
    return recharge, call


def _paid_event(recharge, **overrides):
    checkout = Checkout.objects.get(domain="leads.recharge", reference=str(recharge.pk))
    return stripe_event("checkout.session.completed", checkout_session_object(checkout=checkout, **overrides))


def test_starting_a_recharge_creates_a_checkout_session_with_an_idempotency_key(stripe):
    merchant = make_merchant()
    recharge, call = _start(merchant, "5000")
    form = sent_form(call)
    assert form["mode"] == "payment"
    assert form["line_items[0][price_data][currency]"] == "mad"
    assert form["line_items[0][price_data][unit_amount]"] == "500000"
    assert form["client_reference_id"] == str(recharge.pk)
    assert form["metadata[recharge_id]"] == str(recharge.pk)
    assert form["metadata[merchant_id]"] == str(merchant.pk)
    assert call.request.headers["Idempotency-Key"]
    assert (recharge.status, recharge.session_id) == ("pending", recharge.session_id)
    assert recharge.checkout_url.startswith("https://checkout.stripe.com/")


@pytest.mark.parametrize("amount", ["499.99", "100001", "abc", "-5"])
def test_a_recharge_outside_the_limits_is_refused_before_stripe_is_called(stripe, amount):
    with pytest.raises(LeadError) as exc:
        recharge_start(merchant=make_merchant(), amount=amount)
    assert exc.value.code == "AMOUNT_INVALID"
    assert not Recharge.objects.exists()


def test_without_keys_online_payment_is_not_configured():
    with pytest.raises(PaymentError) as exc:
        recharge_start(merchant=make_merchant(), amount="5000")
    assert exc.value.code == "PAYMENT_NOT_CONFIGURED"
    assert not Recharge.objects.exists()


def test_a_paid_session_credits_the_amount_stripe_reports_once_with_a_receipt_by_email(
    client, stripe, django_capture_on_commit_callbacks
):
    # given: a depleted merchant whose campaign the platform paused
    merchant = make_merchant()
    campaign = make_campaign(merchant)
    assert Campaign.objects.get(pk=campaign.pk).paused_for_deposit
    recharge, _call = _start(merchant, "5000")
    event = _paid_event(recharge, amount_total=499_000)  # Stripe's figure wins over the asked amount
    mail.outbox.clear()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        first = signed_webhook(client, event)
    replay = signed_webhook(client, event)
    # then
    assert (first.status_code, replay.status_code) == (200, 200)
    assert replay.json()["duplicate"] is True
    recharge.refresh_from_db()
    merchant.deposit.refresh_from_db()
    assert (recharge.status, recharge.paid_amount) == ("paid", Decimal("4990.00"))
    assert (merchant.deposit.balance, merchant.deposit.reference) == (Decimal("4990.00"), Decimal("4990.00"))
    assert LedgerEntry.objects.filter(recharge=recharge, kind="recharge").count() == 1
    assert Campaign.objects.get(pk=campaign.pk).status == "active"
    receipt = Receipt.objects.get(recharge=recharge)
    assert receipt.number.startswith("REC-") and receipt.number.endswith("-000001")
    emails = [m for m in mail.outbox if receipt.number in m.subject]
    assert len(emails) == 1
    (filename, content, mimetype), *_ = emails[0].attachments
    assert (filename, mimetype) == (f"{receipt.number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF-") and receipt.number.encode() in content
    assert ledger_consistent(merchant)


def test_an_unpaid_completed_session_waits_for_async_success(client, stripe):
    merchant = make_merchant()
    recharge, _ = _start(merchant)
    checkout = Checkout.objects.get(reference=str(recharge.pk))
    session = checkout_session_object(checkout=checkout, payment_status="unpaid")
    assert signed_webhook(client, stripe_event("checkout.session.completed", session)).status_code == 200
    recharge.refresh_from_db()
    assert recharge.status == "pending"
    succeeded = {**session, "payment_status": "paid"}
    assert (
        signed_webhook(client, stripe_event("checkout.session.async_payment_succeeded", succeeded)).status_code == 200
    )
    recharge.refresh_from_db()
    assert recharge.status == "paid"
    assert merchant.deposit.__class__.objects.get(pk=merchant.deposit.pk).balance == Decimal("5000.00")


@pytest.mark.parametrize(
    ("event_type", "status"),
    [("checkout.session.async_payment_failed", "failed"), ("checkout.session.expired", "expired")],
)
def test_a_failed_or_expired_session_credits_nothing(client, stripe, event_type, status):
    merchant = make_merchant()
    recharge, _ = _start(merchant)
    checkout = Checkout.objects.get(reference=str(recharge.pk))
    session = checkout_session_object(checkout=checkout, payment_status="unpaid", status="expired")
    assert signed_webhook(client, stripe_event(event_type, session)).status_code == 200
    recharge.refresh_from_db()
    assert recharge.status == status
    assert not LedgerEntry.objects.filter(recharge=recharge).exists()


def test_a_session_paid_in_another_currency_is_not_credited(client, stripe):
    merchant = make_merchant()
    recharge, _ = _start(merchant)
    assert signed_webhook(client, _paid_event(recharge, currency="eur")).status_code == 200
    recharge.refresh_from_db()
    assert recharge.status != "paid"
    assert not LedgerEntry.objects.filter(recharge=recharge).exists()


def test_a_bad_signature_is_refused_and_nothing_changes(client, stripe):
    merchant = make_merchant()
    recharge, _ = _start(merchant)
    response = signed_webhook(client, _paid_event(recharge), secret="whsec_wrong")
    assert response.status_code == 400
    assert response.json()["error"] == "WEBHOOK_SIGNATURE_INVALID"
    recharge.refresh_from_db()
    assert recharge.status == "pending"


def test_refunds_debit_the_deposit_once_each_and_a_shortfall_is_flagged_to_staff(client, stripe, admin_user):
    merchant = make_merchant()
    recharge, _ = _start(merchant, "1000")
    paid = _paid_event(recharge)
    signed_webhook(client, paid)
    intent = paid["data"]["object"]["payment_intent"]
    # A lead holds 80 of the 1 000: at most 920 can be taken back.
    from .factories import make_influencer, make_lead

    make_lead(campaign=make_campaign(merchant), influencer=make_influencer(), value="900")
    partial = stripe_event(
        "charge.refunded", charge_object(payment_intent=intent, amount=100000, amount_refunded=30000)
    )
    assert signed_webhook(client, partial).status_code == 200
    assert signed_webhook(client, partial).json()["duplicate"] is True
    merchant.deposit.refresh_from_db()
    assert merchant.deposit.balance == Decimal("700.00")
    full = stripe_event("charge.refunded", charge_object(payment_intent=intent, amount=100000, amount_refunded=100000))
    assert signed_webhook(client, full).status_code == 200
    merchant.deposit.refresh_from_db()
    # 700 more asked, 620 available: the deposit keeps what the pending lead holds.
    assert (merchant.deposit.balance, merchant.deposit.reserved) == (Decimal("80.00"), Decimal("80.00"))
    refunds = LedgerEntry.objects.filter(recharge=recharge, kind="refund").order_by("pk")
    assert [r.balance_delta for r in refunds] == [Decimal("-300.00"), Decimal("-620.00")]
    assert OutboundMessage.objects.filter(key__contains=":shortfall", to=admin_user.email).exists()
    assert ledger_consistent(merchant)


def test_a_dispute_debits_the_disputed_amount(client, stripe):
    merchant = make_merchant()
    recharge, _ = _start(merchant, "2000")
    paid = _paid_event(recharge)
    signed_webhook(client, paid)
    dispute = dispute_object(payment_intent=paid["data"]["object"]["payment_intent"], amount=50000)
    assert signed_webhook(client, stripe_event("charge.dispute.created", dispute)).status_code == 200
    merchant.deposit.refresh_from_db()
    assert merchant.deposit.balance == Decimal("1500.00")


def test_a_bank_transfer_recorded_by_staff_credits_with_a_receipt(admin_user):
    merchant = make_merchant()
    recharge = fund(merchant, "3000")
    assert (recharge.method, recharge.status, recharge.paid_amount) == ("transfer", "paid", Decimal("3000.00"))
    assert Receipt.objects.filter(recharge=recharge).exists()
    merchant.deposit.refresh_from_db()
    assert (merchant.deposit.balance, merchant.deposit.reference) == (Decimal("3000.00"), Decimal("3000.00"))


@pytest.mark.django_db(transaction=True)
def test_the_same_webhook_delivered_twice_at_once_credits_once(stripe):
    from django.test import Client

    merchant = make_merchant()
    recharge, _ = _start(merchant, "5000")
    event = _paid_event(recharge)
    outcomes = run_at_once(*(lambda: signed_webhook(Client(), event) for _ in range(3)))
    assert [o.status_code for o in outcomes] == [200, 200, 200]
    assert LedgerEntry.objects.filter(recharge=recharge, kind="recharge").count() == 1
    merchant.deposit.refresh_from_db()
    assert merchant.deposit.balance == Decimal("5000.00")
    assert Receipt.objects.filter(recharge=recharge).count() == 1
