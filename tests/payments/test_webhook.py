"""POST /api/webhooks/stripe: signed events posted to the real endpoint, the effects
seen in the stored rows and in what the domain's handler was told."""

import time
from decimal import Decimal

import pytest

from core.money import Money
from payments.models import Checkout, CheckoutStatus, PaymentEvent

from .conftest import DOMAIN
from .stripe_helpers import (
    WEBHOOK_PATH,
    charge_object,
    checkout_session_object,
    dispute_object,
    event_body,
    signature_header,
    signed_webhook,
    stripe_event,
)

pytestmark = pytest.mark.django_db

MAD_5000 = Money(Decimal("5000"), "MAD")


@pytest.fixture
def checkout(handler):
    """An open checkout of the test domain, as checkout_start() leaves it."""
    return Checkout.objects.create(
        provider="stripe",
        domain=DOMAIN,
        reference="42",
        amount=Decimal("5000.00"),
        currency="MAD",
        session_id="cs_test_open",
        checkout_url="https://checkout.stripe.com/c/pay/cs_test_open",
        status=CheckoutStatus.OPEN,
    )


def completed(checkout, **fields) -> dict:
    return stripe_event("checkout.session.completed", checkout_session_object(checkout=checkout, **fields))


def assert_acknowledged(response, *, duplicate: bool = False) -> None:
    assert response.status_code == 200, response.content
    assert response.json() == {"received": True, "duplicate": duplicate}


# --- signature --------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Stripe-Signature": "t=1,v1=deadbeef"}, {"Stripe-Signature": "garbage"}],
    ids=["missing", "wrong", "unreadable"],
)
def test_a_bad_or_missing_signature_is_refused_and_nothing_is_stored(client, checkout, handler, headers):
    body = event_body(completed(checkout))

    response = client.post(WEBHOOK_PATH, data=body, content_type="application/json", headers=headers)

    assert response.status_code == 400
    assert response.json()["success"] is False
    assert response.json()["error"] == "WEBHOOK_SIGNATURE_INVALID"
    assert set(response.json()) == {"success", "error", "message", "details", "timestamp", "request_id"}
    assert not PaymentEvent.objects.exists()
    assert handler.calls == []


def test_an_event_signed_with_another_secret_is_refused(client, checkout):
    response = signed_webhook(client, completed(checkout), secret="whsec_someone_else")

    assert response.status_code == 400
    assert not PaymentEvent.objects.exists()


def test_a_signature_older_than_five_minutes_is_refused_as_a_replay(client, checkout):
    response = signed_webhook(client, completed(checkout), timestamp=int(time.time()) - 301)

    assert response.status_code == 400
    assert not PaymentEvent.objects.exists()


def test_a_body_that_is_not_utf8_is_refused_without_a_500(client):
    body = b"\xff\xfe not text"

    response = client.post(
        WEBHOOK_PATH, data=body, content_type="application/json", headers={"Stripe-Signature": signature_header(body)}
    )

    assert response.status_code == 400
    assert not PaymentEvent.objects.exists()


def test_get_is_not_allowed(client):
    response = client.get(WEBHOOK_PATH)

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["error"] == "METHOD_NOT_ALLOWED"


def test_a_signed_body_that_is_not_an_event_is_a_400(client):
    response = signed_webhook(client, {"hello": "world"})

    assert response.status_code == 400
    assert response.json()["error"] == "WEBHOOK_PAYLOAD_INVALID"


# --- paid, once --------------------------------------------------------------------


def test_a_paid_session_calls_the_domain_once_with_the_amount_stripe_reports(client, checkout, handler):
    event = completed(checkout, amount_total=500000, payment_intent="pi_test_1")

    assert_acknowledged(signed_webhook(client, event))

    assert handler.calls == [("paid", "42", MAD_5000)]
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PAID
    assert checkout.amount_paid == Decimal("5000.00")
    assert checkout.payment_reference == "pi_test_1"
    stored = PaymentEvent.objects.get()
    assert (stored.event_id, stored.type, stored.kind) == (event["id"], "checkout.session.completed", "paid")
    assert stored.checkout == checkout
    assert stored.processed_at is not None
    assert stored.outcome == "paid 5000.00"
    assert stored.payload == event


def test_a_replayed_event_is_acknowledged_as_a_duplicate_and_changes_nothing(client, checkout, handler):
    event = completed(checkout)
    signed_webhook(client, event)

    assert_acknowledged(signed_webhook(client, event), duplicate=True)

    assert len(handler.named("paid")) == 1
    assert PaymentEvent.objects.count() == 1


def test_a_second_paid_event_for_the_same_session_does_not_credit_again(client, checkout, handler):
    signed_webhook(client, completed(checkout))

    again = stripe_event("checkout.session.async_payment_succeeded", checkout_session_object(checkout=checkout))
    assert_acknowledged(signed_webhook(client, again))

    assert len(handler.named("paid")) == 1
    assert PaymentEvent.objects.get(event_id=again["id"]).outcome == "already paid"


def test_an_unknown_event_type_is_stored_acknowledged_and_ignored(client, handler):
    event = stripe_event("customer.created", {"id": "cus_test_1", "object": "customer"})

    assert_acknowledged(signed_webhook(client, event))

    stored = PaymentEvent.objects.get()
    assert (stored.type, stored.kind, stored.outcome) == ("customer.created", "", "ignored")
    assert stored.processed_at is not None
    assert handler.calls == []


def test_an_event_for_a_session_we_never_opened_is_acknowledged_without_effect(client, handler):
    event = stripe_event("checkout.session.completed", checkout_session_object(session_id="cs_test_elsewhere"))

    assert_acknowledged(signed_webhook(client, event))

    assert PaymentEvent.objects.get().outcome == "no matching checkout"
    assert handler.calls == []


def test_a_session_found_by_its_metadata_gets_its_session_id(client, handler):
    # Our process died after Stripe created the session, before storing its id.
    checkout = Checkout.objects.create(
        provider="stripe", domain=DOMAIN, reference="43", amount=Decimal("5000"), currency="MAD"
    )
    event = stripe_event("checkout.session.completed", checkout_session_object(checkout=checkout, session_id="cs_x"))

    assert_acknowledged(signed_webhook(client, event))

    checkout.refresh_from_db()
    assert (checkout.session_id, checkout.status) == ("cs_x", CheckoutStatus.PAID)
    assert handler.named("paid") == [("paid", "43", MAD_5000)]


def test_a_completed_session_without_payment_required_and_no_amount_is_ignored(client, checkout, handler):
    event = completed(checkout, payment_status="no_payment_required", amount_total=0)

    assert_acknowledged(signed_webhook(client, event))

    assert handler.calls == []
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.OPEN


# --- asynchronous payments, failures, expiry ----------------------------------------


def test_a_completed_but_unpaid_session_is_pending_until_the_async_payment_succeeds(client, checkout, handler):
    assert_acknowledged(signed_webhook(client, completed(checkout, payment_status="unpaid")))
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PENDING
    assert handler.calls == [("pending", "42", None)]

    succeeded = stripe_event("checkout.session.async_payment_succeeded", checkout_session_object(checkout=checkout))
    assert_acknowledged(signed_webhook(client, succeeded))

    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PAID
    assert handler.named("paid") == [("paid", "42", MAD_5000)]


def test_a_failed_async_payment_marks_the_checkout_failed(client, checkout, handler):
    signed_webhook(client, completed(checkout, payment_status="unpaid"))

    failed = stripe_event(
        "checkout.session.async_payment_failed", checkout_session_object(checkout=checkout, payment_status="unpaid")
    )
    assert_acknowledged(signed_webhook(client, failed))

    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.FAILED
    assert handler.named("failed") == [("failed", "42", None)]
    assert handler.named("paid") == []


def test_an_expired_session_marks_the_checkout_expired(client, checkout, handler):
    expired = stripe_event(
        "checkout.session.expired",
        checkout_session_object(checkout=checkout, payment_status="unpaid", status="expired"),
    )

    assert_acknowledged(signed_webhook(client, expired))

    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.EXPIRED
    assert handler.calls == [("expired", "42", None)]


def test_a_paid_event_after_expiry_is_not_credited(client, checkout, handler):
    Checkout.objects.filter(pk=checkout.pk).update(status=CheckoutStatus.EXPIRED)

    assert_acknowledged(signed_webhook(client, completed(checkout)))

    assert handler.named("paid") == []
    assert PaymentEvent.objects.get().outcome == "not credited: checkout expired"


# --- currency -----------------------------------------------------------------------


def test_a_payment_in_another_currency_is_not_credited_but_acknowledged(client, checkout, handler):
    event = completed(checkout, currency="eur", amount_total=500000)

    assert_acknowledged(signed_webhook(client, event))

    assert handler.calls == []
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.OPEN
    stored = PaymentEvent.objects.get()
    assert stored.outcome == "currency mismatch: EUR instead of MAD"
    assert stored.processed_at is not None


# --- refunds and disputes -----------------------------------------------------------


def refunded(payment_intent: str, amount_refunded: int) -> dict:
    charge = charge_object(payment_intent=payment_intent, amount=500000, amount_refunded=amount_refunded)
    return stripe_event("charge.refunded", charge)


def test_a_partial_then_full_refund_passes_on_exactly_the_total_refunded(client, checkout, handler):
    signed_webhook(client, completed(checkout, payment_intent="pi_test_r"))

    assert_acknowledged(signed_webhook(client, refunded("pi_test_r", 200000)))
    assert_acknowledged(signed_webhook(client, refunded("pi_test_r", 500000)))

    amounts = [call[2] for call in handler.named("refund")]
    assert amounts == [Money(Decimal("2000"), "MAD"), Money(Decimal("3000"), "MAD")]
    checkout.refresh_from_db()
    assert checkout.refunded_amount == Decimal("5000.00")
    assert checkout.status == CheckoutStatus.PAID


def test_refund_events_delivered_out_of_order_never_debit_twice(client, checkout, handler):
    signed_webhook(client, completed(checkout, payment_intent="pi_test_o"))

    signed_webhook(client, refunded("pi_test_o", 500000))
    assert_acknowledged(signed_webhook(client, refunded("pi_test_o", 200000)))

    assert [call[2] for call in handler.named("refund")] == [MAD_5000]
    assert PaymentEvent.objects.filter(outcome="refund already counted").count() == 1


def test_a_refund_reported_before_the_payment_is_passed_on_after_the_credit(client, checkout, handler):
    # The refund's charge carries the payment intent's metadata, so it finds the checkout.
    charge = charge_object(
        payment_intent="pi_test_early",
        amount=500000,
        amount_refunded=100000,
        metadata={"domain": DOMAIN, "reference": "42"},
    )
    assert_acknowledged(signed_webhook(client, stripe_event("charge.refunded", charge)))
    assert handler.calls == []

    signed_webhook(client, completed(checkout, payment_intent="pi_test_early"))

    assert handler.calls == [("paid", "42", MAD_5000), ("refund", "42", Money(Decimal("1000"), "MAD"))]


def test_a_dispute_passes_on_the_disputed_amount(client, checkout, handler):
    signed_webhook(client, completed(checkout, payment_intent="pi_test_d"))

    dispute = stripe_event("charge.dispute.created", dispute_object(payment_intent="pi_test_d", amount=500000))
    assert_acknowledged(signed_webhook(client, dispute))

    assert handler.named("dispute") == [("dispute", "42", MAD_5000)]
    checkout.refresh_from_db()
    assert checkout.disputed_amount == Decimal("5000.00")


# --- a failing domain ---------------------------------------------------------------


def test_a_failing_handler_answers_500_and_the_next_delivery_processes_the_event(client, checkout, handler):
    event = completed(checkout)
    handler.fail_with = RuntimeError("deposit table locked")

    response = signed_webhook(client, event)

    assert response.status_code == 500
    assert response.json()["error"] == "WEBHOOK_PROCESSING_FAILED"
    stored = PaymentEvent.objects.get()
    assert stored.processed_at is None
    assert "deposit table locked" in stored.error
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.OPEN  # rolled back with the handler's work

    handler.fail_with = None
    assert_acknowledged(signed_webhook(client, event))

    stored.refresh_from_db()
    assert stored.processed_at is not None
    assert stored.error == ""
    assert stored.attempts == 2
    assert handler.named("paid") == [("paid", "42", MAD_5000)]
