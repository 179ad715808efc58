"""The recharge dialog and its page, the return from Checkout and its polled status."""

from decimal import Decimal

import pytest
import responses

from leads.models import Deposit, Recharge
from payments.models import Checkout
from tests.payments.stripe_helpers import (
    checkout_session_object,
    configure_stripe,
    mock_session_create,
    signed_webhook,
    stripe_event,
)

from .factories import make_merchant

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchant_client(client):
    merchant = make_merchant()
    client.force_login(merchant.user)
    client.merchant = merchant
    return client


def test_without_keys_the_dialog_says_online_payment_is_not_configured(merchant_client, settings):
    settings.LEADS_BANK_TRANSFER_RIB = "011 780 0000123456789012 34"
    html = merchant_client.get("/leads/merchant/").content.decode()
    assert '<dialog class="dialog" id="recharge"' in html
    assert 'data-testid="payment-not-configured"' in html and "011 780 0000123456789012 34" in html
    page = merchant_client.get("/leads/merchant/recharge/")
    assert page.status_code == 200 and "Le paiement en ligne n" in page.content.decode()


def test_posting_without_keys_re_renders_with_the_message_and_creates_nothing(merchant_client):
    response = merchant_client.post("/leads/merchant/recharge/", {"preset": "5000"})
    assert response.status_code == 503
    assert "Le paiement en ligne n" in response.content.decode()
    assert not Recharge.objects.exists()


def test_with_keys_the_dialog_offers_the_presets_and_redirects_to_checkout(merchant_client, settings):
    configure_stripe(settings)
    html = merchant_client.get("/leads/merchant/").content.decode()
    for preset in ("2\u202f000\u00a0dhs", "5\u202f000\u00a0dhs", "10\u202f000\u00a0dhs"):
        assert preset in html
    with responses.RequestsMock() as rsps:
        session_id = mock_session_create(rsps)
        response = merchant_client.post("/leads/merchant/recharge/", {"preset": "5000"})
    assert response.status_code == 302
    assert response["Location"] == f"https://checkout.stripe.com/c/pay/{session_id}"
    recharge = Recharge.objects.get()
    assert (recharge.amount, recharge.status) == (Decimal("5000.00"), "pending")
    assert recharge.merchant == merchant_client.merchant


def test_a_custom_amount_wins_over_the_preset(merchant_client, settings):
    configure_stripe(settings)
    with responses.RequestsMock() as rsps:
        mock_session_create(rsps)
        merchant_client.post("/leads/merchant/recharge/", {"preset": "2000", "custom": "7 500"})
    assert Recharge.objects.get().amount == Decimal("7500.00")


@pytest.mark.parametrize("amount", ["499", "abc", "1000001"])
def test_an_amount_outside_the_limits_is_re_rendered_with_the_message(merchant_client, settings, amount):
    configure_stripe(settings)
    response = merchant_client.post("/leads/merchant/recharge/", {"custom": amount})
    assert response.status_code == 400
    assert "Le montant doit être compris entre 500\u00a0dhs et 100\u202f000\u00a0dhs." in response.content.decode()
    assert f'value="{amount}"' in response.content.decode()
    assert not Recharge.objects.exists()


def test_a_provider_failure_says_to_retry_and_is_not_a_500(merchant_client, settings):
    configure_stripe(settings)
    with responses.RequestsMock() as rsps:
        mock_session_create(rsps, status=500)
        response = merchant_client.post("/leads/merchant/recharge/", {"preset": "2000"})
    assert response.status_code == 502
    assert "Le service de paiement ne répond pas, réessayez" in response.content.decode()


def _start(client, settings, amount="5000") -> Recharge:
    configure_stripe(settings)
    with responses.RequestsMock() as rsps:
        mock_session_create(rsps)
        client.post("/leads/merchant/recharge/", {"custom": amount})
    return Recharge.objects.get()


def test_the_return_page_polls_while_pending_then_shows_the_credit_after_the_webhook(merchant_client, settings):
    recharge = _start(merchant_client, settings)
    back = merchant_client.get(f"/leads/merchant/?recharge={recharge.pk}&payment=success").content.decode()
    assert "Paiement en cours…" in back
    assert f'hx-get="/leads/merchant/recharges/{recharge.pk}/status/"' in back and 'hx-trigger="every 3s"' in back
    status = merchant_client.get(f"/leads/merchant/recharges/{recharge.pk}/status/")
    assert 'data-status="pending"' in status.content.decode() and 'hx-trigger="every 3s"' in status.content.decode()

    checkout = Checkout.objects.get(domain="leads.recharge", reference=str(recharge.pk))
    event = stripe_event("checkout.session.completed", checkout_session_object(checkout=checkout))
    assert signed_webhook(merchant_client, event).status_code == 200

    paid = merchant_client.get(f"/leads/merchant/recharges/{recharge.pk}/status/").content.decode()
    assert "Dépôt rechargé de 5\u202f000\u00a0dhs" in paid
    assert "hx-trigger" not in paid.split('id="deposit"')[0]  # the panel stops polling
    assert "/leads/merchant/receipts/REC-" in paid
    assert 'id="deposit"' in paid and 'hx-swap-oob="true"' in paid
    assert Deposit.objects.get(merchant=merchant_client.merchant).balance == Decimal("5000.00")


def test_a_cancelled_checkout_says_so_without_polling(merchant_client, settings):
    recharge = _start(merchant_client, settings)
    html = merchant_client.get(f"/leads/merchant/?recharge={recharge.pk}&payment=cancel").content.decode()
    assert "Paiement annulé" in html and 'hx-trigger="every 3s"' not in html


@pytest.mark.parametrize(("status", "text"), [("failed", "Le paiement a échoué"), ("expired", "a expiré")])
def test_a_failed_or_expired_recharge_says_so(merchant_client, settings, status, text):
    recharge = _start(merchant_client, settings)
    Recharge.objects.filter(pk=recharge.pk).update(status=status)
    html = merchant_client.get(f"/leads/merchant/recharges/{recharge.pk}/status/").content.decode()
    assert text in html and "hx-trigger" not in html


def test_another_merchants_recharge_is_not_shown(merchant_client, settings, client):
    recharge = _start(merchant_client, settings)
    other = make_merchant()
    merchant_client.force_login(other.user)
    assert merchant_client.get(f"/leads/merchant/recharges/{recharge.pk}/status/").status_code == 404
    html = merchant_client.get(f"/leads/merchant/?recharge={recharge.pk}&payment=success").content.decode()
    assert 'id="recharge-status"' not in html
