"""Stripe delivers at least once, sometimes twice at the same instant, and the events of
one session may arrive together: real concurrent transactions (one thread and one
PostgreSQL connection each), the domain's effect exactly once."""

from decimal import Decimal

import pytest
from django.test import Client

from payments.models import Checkout, CheckoutStatus, PaymentEvent
from tests.concurrency import run_at_once

from .conftest import DOMAIN
from .stripe_helpers import checkout_session_object, signed_webhook, stripe_event

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def checkout(handler):
    return Checkout.objects.create(
        provider="stripe",
        domain=DOMAIN,
        reference="42",
        amount=Decimal("5000.00"),
        currency="MAD",
        session_id="cs_test_race",
        status=CheckoutStatus.OPEN,
    )


def post(event):
    return lambda: signed_webhook(Client(), event)


def test_the_same_event_delivered_twice_at_once_credits_once(checkout, handler):
    handler.delay = 0.2
    event = stripe_event("checkout.session.completed", checkout_session_object(checkout=checkout))

    first, second = run_at_once(post(event), post(event))

    assert (first.status_code, second.status_code) == (200, 200)
    assert sorted([first.json()["duplicate"], second.json()["duplicate"]]) == [False, True]
    assert len(handler.named("paid")) == 1
    assert PaymentEvent.objects.count() == 1
    assert PaymentEvent.objects.get().processed_at is not None


def test_completed_and_async_succeeded_at_once_pay_the_session_once(checkout, handler):
    handler.delay = 0.2
    session = checkout_session_object(checkout=checkout)
    completed = stripe_event("checkout.session.completed", session)
    succeeded = stripe_event("checkout.session.async_payment_succeeded", session)

    responses = run_at_once(post(completed), post(succeeded))

    assert [r.status_code for r in responses] == [200, 200]
    assert [r.json()["duplicate"] for r in responses] == [False, False]
    assert len(handler.named("paid")) == 1
    outcomes = sorted(PaymentEvent.objects.values_list("outcome", flat=True))
    assert outcomes == ["already paid", "paid 5000.00"]
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PAID


def test_two_refund_events_of_one_charge_at_once_debit_the_total_once(checkout, handler):
    from .stripe_helpers import charge_object

    Checkout.objects.filter(pk=checkout.pk).update(
        status=CheckoutStatus.PAID, amount_paid=Decimal("5000"), payment_reference="pi_test_race"
    )
    partial = stripe_event(
        "charge.refunded", charge_object(payment_intent="pi_test_race", amount=500000, amount_refunded=200000)
    )
    full = stripe_event(
        "charge.refunded", charge_object(payment_intent="pi_test_race", amount=500000, amount_refunded=500000)
    )

    run_at_once(post(partial), post(full))

    total = sum(call[2].amount for call in handler.named("refund"))
    assert total == Decimal("5000.00")
    checkout.refresh_from_db()
    assert checkout.refunded_amount == Decimal("5000.00")
