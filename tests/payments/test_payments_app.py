"""The rest of the payments app: Stripe's units, the admin staff read events in, the
settings checks, and its independence from the domains."""

import pathlib
from decimal import Decimal

import pytest
from django.core.checks import run_checks

from core.money import Money
from payments.errors import UNKNOWN_PROVIDER, PaymentError
from payments.models import Checkout, CheckoutStatus, PaymentEvent
from payments.providers import get_provider
from payments.providers.stripe import StripeProvider, from_minor_units, to_minor_units

from .stripe_helpers import checkout_session_object, signed_webhook, stripe_event


@pytest.mark.parametrize(
    ("money", "minor"),
    [
        (Money(Decimal("5000"), "MAD"), 500000),
        (Money(Decimal("499.99"), "EUR"), 49999),
        (Money(Decimal("150000"), "XOF"), 150000),
        (Money(Decimal("1.5"), "KWD"), 1500),
    ],
)
def test_amounts_go_to_stripe_in_its_minor_units_and_come_back_equal(money, minor):
    assert to_minor_units(money) == minor
    assert from_minor_units(minor, money.currency.lower()) == money


def test_francs_cfa_with_cents_have_no_stripe_amount():
    with pytest.raises(ValueError):
        to_minor_units(Money(Decimal("10.50"), "XOF"))


def test_the_default_provider_is_stripe_and_an_unknown_one_is_refused(settings):
    assert isinstance(get_provider(), StripeProvider)
    with pytest.raises(PaymentError) as raised:
        get_provider("paypal")
    assert raised.value.code == UNKNOWN_PROVIDER


def test_stripe_is_configured_only_with_both_its_secret_key_and_webhook_secret(settings):
    assert get_provider().configured()
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert not get_provider().configured()


def test_a_half_configured_stripe_is_a_warning_and_no_keys_at_all_is_fine(settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert "payments.W001" in [message.id for message in run_checks()]
    settings.STRIPE_SECRET_KEY = ""
    assert "payments.W001" not in [message.id for message in run_checks()]


def test_the_payments_app_never_imports_a_domain():
    root = pathlib.Path(__file__).resolve().parents[2] / "payments"
    for source in root.rglob("*.py"):
        text = source.read_text()
        for domain in ("leads", "shop"):
            assert f"import {domain}" not in text and f"from {domain}" not in text, source


# --- admin ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_read_events_and_checkouts_in_the_admin_without_editing_them(staff_client, handler):
    checkout = Checkout.objects.create(
        provider="stripe",
        domain="tests.order",
        reference="42",
        amount=Decimal("5000"),
        currency="MAD",
        session_id="cs_test_admin",
        status=CheckoutStatus.OPEN,
    )
    event = stripe_event("checkout.session.completed", checkout_session_object(checkout=checkout))
    signed_webhook(staff_client, event)
    stored = PaymentEvent.objects.get()

    events = staff_client.get("/admin/payments/paymentevent/?processed=yes&q=" + event["id"])
    assert events.status_code == 200
    assert event["id"] in events.content.decode()
    page = staff_client.get(f"/admin/payments/paymentevent/{stored.pk}/change/").content.decode()
    assert "&quot;checkout.session.completed&quot;" in page  # the payload, indented
    assert 'name="_save"' not in page
    checkouts = staff_client.get("/admin/payments/checkout/?status=paid").content.decode()
    assert "5\u202f000\u00a0dhs" in checkouts  # MAD is written "dhs" (core.money)
    assert staff_client.get(f"/admin/payments/checkout/{checkout.pk}/change/").status_code == 200
    assert staff_client.get("/admin/payments/checkout/add/").status_code == 403
    assert staff_client.get(f"/admin/payments/paymentevent/{stored.pk}/delete/").status_code == 403
