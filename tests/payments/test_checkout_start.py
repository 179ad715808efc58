"""checkout_start(): our row first, then one Checkout Session at Stripe (mocked with
`responses` at the HTTP level, so the real stripe library builds the request)."""

from decimal import Decimal

import pytest
import requests
import responses

from core.money import Money
from payments.errors import (
    CHECKOUT_CLOSED,
    CHECKOUT_MISMATCH,
    PAYMENT_NOT_CONFIGURED,
    PAYMENT_PROVIDER_ERROR,
    UNKNOWN_DOMAIN,
    PaymentError,
)
from payments.models import Checkout, CheckoutStatus
from payments.selectors import checkout_for_session, checkout_get, online_payment_configured
from payments.services import checkout_start

from .conftest import DOMAIN
from .stripe_helpers import SESSIONS_URL, mock_session_create, sent_form

pytestmark = pytest.mark.django_db


def start(**overrides) -> Checkout:
    data = {
        "domain": DOMAIN,
        "reference": "42",
        "amount": Money(Decimal("5000"), "MAD"),
        "description": "Recharge du dépôt",
        "success_url": "https://example.com/ok?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://example.com/annule",
        "customer_email": "marchand@example.com",
        "metadata": {"merchant": 7},
    }
    data.update(overrides)
    return checkout_start(**data)


@responses.activate
def test_a_checkout_opens_one_stripe_session_with_the_amount_in_centimes(handler):
    session_id = mock_session_create(responses.mock, url="https://checkout.stripe.com/c/pay/cs_1")

    checkout = start()

    assert checkout.status == CheckoutStatus.OPEN
    assert checkout.session_id == session_id
    assert checkout.checkout_url == "https://checkout.stripe.com/c/pay/cs_1"
    assert checkout.provider == "stripe"
    (call,) = responses.calls
    assert call.request.url == SESSIONS_URL
    assert call.request.headers["Idempotency-Key"] == f"checkout-{checkout.token}"
    assert call.request.headers["Authorization"] == "Bearer sk_test_platform_tests"
    form = sent_form(call)
    assert form["mode"] == "payment"
    assert form["line_items[0][price_data][currency]"] == "mad"
    assert form["line_items[0][price_data][unit_amount]"] == "500000"
    assert form["line_items[0][price_data][product_data][name]"] == "Recharge du dépôt"
    assert form["line_items[0][quantity]"] == "1"
    assert form["client_reference_id"] == "42"
    assert form["customer_email"] == "marchand@example.com"
    assert form["success_url"] == "https://example.com/ok?session={CHECKOUT_SESSION_ID}"
    assert form["cancel_url"] == "https://example.com/annule"
    for prefix in ("metadata", "payment_intent_data[metadata]"):
        assert form[f"{prefix}[domain]"] == DOMAIN
        assert form[f"{prefix}[reference]"] == "42"
        assert form[f"{prefix}[merchant]"] == "7"


@responses.activate
def test_stripe_is_called_with_the_configured_timeout_and_no_retries(handler, settings):
    settings.PAYMENTS_TIMEOUT_SECONDS = 7
    responses.add(responses.POST, SESSIONS_URL, body=requests.exceptions.Timeout("slow"))

    with pytest.raises(PaymentError):
        start()

    assert len(responses.calls) == 1  # no network retry
    assert responses.calls[0].request.req_kwargs["timeout"] == 7


@responses.activate
def test_amounts_in_francs_cfa_are_sent_in_whole_francs(handler):
    mock_session_create(responses.mock)

    start(amount=Money(Decimal("150000"), "XOF"))

    assert sent_form(responses.calls[0])["line_items[0][price_data][unit_amount]"] == "150000"
    assert sent_form(responses.calls[0])["line_items[0][price_data][currency]"] == "xof"


@pytest.mark.parametrize(
    "failure",
    [requests.exceptions.ConnectionError("unreachable"), requests.exceptions.Timeout("10 s")],
    ids=["unreachable", "timeout"],
)
@responses.activate
def test_an_unreachable_stripe_is_a_provider_error_and_the_checkout_waits_for_a_retry(handler, failure):
    responses.add(responses.POST, SESSIONS_URL, body=failure)

    with pytest.raises(PaymentError) as raised:
        start()

    assert raised.value.code == PAYMENT_PROVIDER_ERROR
    checkout = Checkout.objects.get()
    assert checkout.status == CheckoutStatus.CREATED
    assert checkout.session_id is None
    assert checkout.last_error.startswith(PAYMENT_PROVIDER_ERROR)


@pytest.mark.parametrize("status", [500, 401, 400])
@responses.activate
def test_stripe_refusing_the_request_is_a_provider_error(handler, status):
    mock_session_create(responses.mock, status=status)

    with pytest.raises(PaymentError) as raised:
        start()

    assert raised.value.code == PAYMENT_PROVIDER_ERROR


@responses.activate
def test_a_retry_after_a_failure_reuses_the_checkout_and_its_idempotency_key(handler):
    responses.add(responses.POST, SESSIONS_URL, body=requests.exceptions.ConnectionError("down"))
    with pytest.raises(PaymentError):
        start()
    responses.reset()
    session_id = mock_session_create(responses.mock)

    checkout = start()

    assert Checkout.objects.count() == 1
    assert checkout.session_id == session_id
    assert checkout.status == CheckoutStatus.OPEN
    assert checkout.last_error == ""
    assert responses.calls[0].request.headers["Idempotency-Key"] == f"checkout-{checkout.token}"


@responses.activate
def test_starting_an_open_checkout_again_returns_the_same_page_without_calling_stripe(handler):
    mock_session_create(responses.mock)
    first = start()

    again = start()

    assert again.pk == first.pk
    assert again.checkout_url == first.checkout_url
    assert len(responses.calls) == 1


@responses.activate
def test_a_paid_checkout_cannot_be_started_again(handler):
    mock_session_create(responses.mock)
    checkout = start()
    Checkout.objects.filter(pk=checkout.pk).update(status=CheckoutStatus.PAID)

    with pytest.raises(PaymentError) as raised:
        start()

    assert raised.value.code == CHECKOUT_CLOSED


@responses.activate
def test_the_same_reference_with_another_amount_is_refused(handler):
    mock_session_create(responses.mock)
    start()

    with pytest.raises(PaymentError) as raised:
        start(amount=Money(Decimal("2000"), "MAD"))

    assert raised.value.code == CHECKOUT_MISMATCH


@responses.activate
def test_without_keys_online_payment_is_not_configured_and_nothing_is_stored(handler, settings):
    settings.STRIPE_SECRET_KEY = ""

    with pytest.raises(PaymentError) as raised:
        start()

    assert raised.value.code == PAYMENT_NOT_CONFIGURED
    assert not online_payment_configured()
    assert not Checkout.objects.exists()
    assert len(responses.calls) == 0


def test_an_unregistered_domain_is_refused_before_anything_is_stored():
    with pytest.raises(PaymentError) as raised:
        start(domain="nobody.here")

    assert raised.value.code == UNKNOWN_DOMAIN
    assert not Checkout.objects.exists()


@responses.activate
def test_selectors_find_a_checkout_by_reference_and_by_session(handler):
    mock_session_create(responses.mock, session_id="cs_test_find_me")
    checkout = start()

    assert checkout_get(domain=DOMAIN, reference=42) == checkout
    assert checkout_for_session(session_id="cs_test_find_me") == checkout
    assert checkout_for_session(session_id="") is None
