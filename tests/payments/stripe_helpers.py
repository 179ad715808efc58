"""Stripe in tests, without reaching Stripe: the objects its webhooks carry, events signed
with the real scheme and posted to the real endpoint, and a `responses` mock of the one
API call the platform makes (creating a Checkout Session).

Reusable by every domain's tests (leads, the shop):

    from tests.payments.stripe_helpers import (
        checkout_session_object, configure_stripe, mock_session_create, signed_webhook, stripe_event,
    )

    def test_a_paid_session_credits_the_deposit(client, settings):
        configure_stripe(settings)
        with responses.RequestsMock() as rsps:
            mock_session_create(rsps, session_id="cs_test_1")
            checkout = checkout_start(domain="leads.recharge", ...)
        event = stripe_event("checkout.session.completed", checkout_session_object(checkout=checkout))
        assert signed_webhook(client, event).status_code == 200
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

import responses

SECRET_KEY = "sk_test_platform_tests"
PUBLISHABLE_KEY = "pk_test_platform_tests"
WEBHOOK_SECRET = "whsec_platform_tests"
WEBHOOK_PATH = "/api/webhooks/stripe"
SESSIONS_URL = "https://api.stripe.com/v1/checkout/sessions"


def configure_stripe(settings) -> None:
    """Give the settings (pytest-django's `settings` fixture) test keys: online payment on."""
    settings.PAYMENTS_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET


def _id(prefix: str) -> str:
    return f"{prefix}_test_{uuid.uuid4().hex[:24]}"


# --- the API call ------------------------------------------------------------------


def mock_session_create(
    rsps: responses.RequestsMock, *, session_id: str | None = None, url: str | None = None, status: int = 200
) -> str:
    """Answer the next POST /v1/checkout/sessions like Stripe does; returns the session id.
    The request itself is in `rsps.calls` (see `sent_form()`)."""
    session_id = session_id or _id("cs")
    body = {
        "id": session_id,
        "object": "checkout.session",
        "url": url or f"https://checkout.stripe.com/c/pay/{session_id}",
        "status": "open",
        "payment_status": "unpaid",
    }
    if status >= 400:
        body = {"error": {"type": "api_error", "message": "Something went wrong on Stripe's end."}}
    rsps.add(responses.POST, SESSIONS_URL, json=body, status=status)
    return session_id


def sent_form(call) -> dict[str, str]:
    """The form-encoded body Stripe received, as {"metadata[domain]": "...", ...}."""
    from urllib.parse import parse_qsl

    return dict(parse_qsl(call.request.body if isinstance(call.request.body, str) else call.request.body.decode()))


# --- the objects webhooks carry ------------------------------------------------------


def _minor(amount) -> int:
    """5000 (MAD, major units, Decimal or str) -> 500000 centimes; an int is taken as minor units."""
    from decimal import Decimal

    return amount if isinstance(amount, int) else int(Decimal(str(amount)) * 100)


def checkout_session_object(
    *,
    checkout=None,
    session_id: str | None = None,
    amount_total: int | None = None,
    currency: str | None = None,
    payment_status: str = "paid",
    payment_intent: str | None = None,
    metadata: dict | None = None,
    status: str = "complete",
) -> dict:
    """A Checkout Session as in checkout.session.* events. With `checkout` (a
    payments Checkout), its session id, amount (in minor units), currency and metadata
    are used unless given. `amount_total` is in minor units (500000 = 5 000 MAD)."""
    if checkout is not None:
        session_id = session_id or checkout.session_id
        amount_total = amount_total if amount_total is not None else _minor(checkout.amount)
        currency = currency or checkout.currency.lower()
        if metadata is None:
            metadata = {**checkout.metadata, "domain": checkout.domain, "reference": checkout.reference}
        payment_intent = payment_intent or checkout.payment_reference or None
    metadata = metadata or {}
    return {
        "id": session_id or _id("cs"),
        "object": "checkout.session",
        "amount_total": 500000 if amount_total is None else amount_total,
        "currency": currency or "mad",
        "client_reference_id": metadata.get("reference"),
        "metadata": metadata,
        "mode": "payment",
        "payment_intent": payment_intent or _id("pi"),
        "payment_status": payment_status,
        "status": status,
    }


def charge_object(
    *, payment_intent: str, amount: int, amount_refunded: int = 0, currency: str = "mad", metadata: dict | None = None
) -> dict:
    """A Charge (charge.refunded): `amount_refunded` is the charge's cumulative total."""
    return {
        "id": _id("ch"),
        "object": "charge",
        "amount": amount,
        "amount_refunded": amount_refunded,
        "currency": currency,
        "payment_intent": payment_intent,
        "metadata": metadata or {},
        "refunded": amount_refunded >= amount,
    }


def dispute_object(*, payment_intent: str, amount: int, currency: str = "mad") -> dict:
    """A Dispute (charge.dispute.created)."""
    return {
        "id": _id("dp"),
        "object": "dispute",
        "amount": amount,
        "currency": currency,
        "charge": _id("ch"),
        "payment_intent": payment_intent,
        "reason": "fraudulent",
        "status": "needs_response",
        "metadata": {},
    }


def stripe_event(type: str, obj: dict, *, event_id: str | None = None) -> dict:  # noqa: A002 - Stripe's name
    """An Event as Stripe posts it, around `obj`."""
    return {
        "id": event_id or _id("evt"),
        "object": "event",
        "api_version": "2025-01-27.acacia",
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "type": type,
        "data": {"object": obj},
    }


# --- signing and posting -------------------------------------------------------------


def signature_header(body: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """Stripe-Signature for `body`: t=<unix>,v1=HMAC-SHA256(secret, "<t>.<body>")."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def event_body(event: dict) -> bytes:
    return json.dumps(event).encode()


def signed_webhook(
    client, event: dict, secret: str = WEBHOOK_SECRET, *, timestamp: int | None = None, path: str = WEBHOOK_PATH
):
    """POST `event` to the Stripe webhook endpoint, signed with `secret`, as Stripe does."""
    body = event_body(event)
    return client.post(
        path,
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": signature_header(body, secret=secret, timestamp=timestamp)},
    )
