"""Stripe Checkout, through the official library's StripeClient.

Calls go through `stripe.RequestsClient` (the `requests` library, which the tests mock
with `responses`) with PAYMENTS_TIMEOUT_SECONDS and no network retries: a customer
waiting on the recharge dialog gets an answer (or PAYMENT_PROVIDER_ERROR, a 502) within
the timeout, and clicking again retries with the same idempotency key, so Stripe gives
back the session it may already have created instead of a second one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

import stripe
from django.conf import settings
from django.utils.translation import gettext as _

from core.money import Money

from ..errors import (
    INVALID_AMOUNT,
    PAYMENT_PROVIDER_ERROR,
    WEBHOOK_PAYLOAD_INVALID,
    WEBHOOK_SIGNATURE_INVALID,
    PaymentError,
)
from .base import (
    DISPUTED,
    EXPIRED,
    FAILED,
    IGNORED,
    PAID,
    PENDING,
    REFUNDED,
    CheckoutSession,
    PaymentProvider,
    ProviderEvent,
)

if TYPE_CHECKING:
    from payments.models import Checkout

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Stripe-Signature"
# Seconds a signed webhook stays acceptable: an older one is a replay of a captured request.
SIGNATURE_TOLERANCE = 300

# Stripe counts these currencies in whole units (https://docs.stripe.com/currencies):
# 5 000 XOF is sent as 5000, 5 000 MAD as 500000 (centimes).
ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF"} | {"XPF"}
)
THREE_DECIMAL = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])


def _factor(currency: str) -> int:
    currency = currency.upper()
    return 1 if currency in ZERO_DECIMAL else 1000 if currency in THREE_DECIMAL else 100


def to_minor_units(money: Money) -> int:
    """Stripe's integer amount for `money` (an exact conversion: amounts are quantized to
    the cent; a zero-decimal currency with cents is refused rather than rounded)."""
    minor = money.amount * _factor(money.currency)
    if minor != minor.to_integral_value():
        raise ValueError(f"{money.amount} {money.currency} has no exact amount in minor units")
    return int(minor)


def from_minor_units(amount: int | None, currency: str | None) -> Money | None:
    """Stripe's (amount, currency) as Money; None when the event lacks either."""
    if amount is None or not currency:
        return None
    return Money(Decimal(int(amount)) / _factor(currency), currency.upper())


class StripeProvider(PaymentProvider):
    name = "stripe"

    def configured(self) -> bool:
        return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)

    def _client(self) -> stripe.StripeClient:
        timeout = settings.PAYMENTS_TIMEOUT_SECONDS
        return stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            http_client=stripe.RequestsClient(timeout=timeout),
            max_network_retries=0,
        )

    # --- checkout ---------------------------------------------------------------

    def checkout_params(
        self, *, checkout: Checkout, success_url: str, cancel_url: str, customer_email: str, description: str
    ) -> dict:
        money = Money(checkout.amount, checkout.currency)
        # Both the session and its payment intent carry the domain and reference: the
        # session events find the checkout by session id, charge events (refunds,
        # disputes) by payment intent, and either by these if the first is unknown.
        metadata = {**checkout.metadata, "domain": checkout.domain, "reference": checkout.reference}
        params = {
            "mode": "payment",
            "client_reference_id": checkout.reference,
            "success_url": success_url,
            "cancel_url": cancel_url,
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": money.currency.lower(),
                        "unit_amount": to_minor_units(money),
                        "product_data": {"name": description},
                    },
                }
            ],
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata, "description": description},
        }
        if customer_email:
            params["customer_email"] = customer_email
        if checkout.expires_at:
            params["expires_at"] = int(checkout.expires_at.timestamp())
        return params

    def create_checkout(
        self, *, checkout: Checkout, success_url: str, cancel_url: str, customer_email: str = "", description: str
    ) -> CheckoutSession:
        try:
            params = self.checkout_params(
                checkout=checkout,
                success_url=success_url,
                cancel_url=cancel_url,
                customer_email=customer_email,
                description=description,
            )
        except ValueError as exc:  # cents in a currency Stripe counts in whole units
            raise PaymentError(INVALID_AMOUNT, _("Montant invalide pour cette devise.")) from exc
        try:
            session = self._client().v1.checkout.sessions.create(
                params=params, options={"idempotency_key": checkout.idempotency_key}
            )
        except stripe.StripeError as exc:
            # Connection errors and timeouts, Stripe's 5xx, a wrong key, a refused
            # parameter: all mean "no payment page now"; the details are for the logs.
            logger.warning(
                "Stripe checkout creation failed for %s: %s %s",
                checkout.idempotency_key,
                type(exc).__name__,
                getattr(exc, "user_message", None) or str(exc)[:200],
            )
            raise PaymentError(
                PAYMENT_PROVIDER_ERROR,
                _("Le service de paiement est momentanément indisponible. Réessayez dans quelques minutes."),
                details={"provider": self.name, "error": type(exc).__name__},
            ) from exc
        return CheckoutSession(session_id=session.id, url=session.url)

    # --- webhooks ---------------------------------------------------------------

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        try:
            stripe.WebhookSignature.verify_header(
                body, headers.get(SIGNATURE_HEADER, ""), settings.STRIPE_WEBHOOK_SECRET, SIGNATURE_TOLERANCE
            )
        except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
            raise PaymentError(WEBHOOK_SIGNATURE_INVALID, _("Signature Stripe invalide.")) from exc
        try:
            payload = json.loads(body)
            event_id, event_type = payload["id"], payload["type"]
            obj = payload["data"]["object"]
            if not (isinstance(event_id, str) and isinstance(event_type, str) and isinstance(obj, dict)):
                raise TypeError("id, type and data.object have the wrong types")
            return self._normalise(payload, event_id, event_type, obj)
        except (ValueError, KeyError, TypeError) as exc:
            raise PaymentError(WEBHOOK_PAYLOAD_INVALID, _("Événement Stripe illisible.")) from exc

    def _normalise(self, payload: dict, event_id: str, event_type: str, obj: dict) -> ProviderEvent:
        kind, amount = IGNORED, None
        session_id = payment_reference = ""
        metadata = obj.get("metadata") or {}
        if event_type.startswith("checkout.session."):
            session_id = obj.get("id") or ""
            payment_reference = obj.get("payment_intent") or ""
            amount = from_minor_units(obj.get("amount_total"), obj.get("currency"))
            kind = _session_kind(event_type, obj.get("payment_status"), amount)
        elif event_type == "charge.refunded":
            kind = REFUNDED
            payment_reference = obj.get("payment_intent") or ""
            # Cumulative for the charge: payments.services debits only what is new.
            amount = from_minor_units(obj.get("amount_refunded"), obj.get("currency"))
        elif event_type == "charge.dispute.created":
            kind = DISPUTED
            payment_reference = obj.get("payment_intent") or ""
            amount = from_minor_units(obj.get("amount"), obj.get("currency"))
        return ProviderEvent(
            provider=self.name,
            event_id=event_id,
            type=event_type,
            kind=kind,
            session_id=session_id,
            payment_reference=payment_reference if isinstance(payment_reference, str) else "",
            amount=amount,
            domain=str(metadata.get("domain", "")),
            reference=str(metadata.get("reference", "") or obj.get("client_reference_id") or ""),
            payload=payload,
        )


def _session_kind(event_type: str, payment_status: str | None, amount: Money | None) -> str:
    if event_type == "checkout.session.completed":
        if payment_status == "unpaid":
            return PENDING
        # "no_payment_required" with a total of zero (a 100 % coupon) moved no money:
        # nothing to credit.
        if payment_status in ("paid", "no_payment_required") and amount and amount.amount > 0:
            return PAID
        return IGNORED
    return {
        "checkout.session.async_payment_succeeded": PAID,
        "checkout.session.async_payment_failed": FAILED,
        "checkout.session.expired": EXPIRED,
    }.get(event_type, IGNORED)
