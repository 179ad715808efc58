"""Opening a hosted payment (checkout_start) and applying what the provider reports
(webhook_receive), for every domain and provider alike."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.money import Money

from . import registry
from .errors import (
    CHECKOUT_CLOSED,
    CHECKOUT_MISMATCH,
    INVALID_AMOUNT,
    PAYMENT_NOT_CONFIGURED,
    UNKNOWN_DOMAIN,
    WEBHOOK_PROCESSING_FAILED,
    PaymentError,
)
from .models import FINAL, TRANSITIONS, Checkout, CheckoutStatus, PaymentEvent
from .providers import ProviderEvent, get_provider
from .providers.base import DISPUTED, EXPIRED, FAILED, IGNORED, PAID, PENDING, REFUNDED

logger = logging.getLogger(__name__)


# --- checkout -------------------------------------------------------------------


def checkout_start(
    *,
    domain: str,
    reference: str,
    amount: Money,
    description: str,
    success_url: str,
    cancel_url: str,
    customer_email: str = "",
    metadata: dict | None = None,
    expires_at: datetime | None = None,
) -> Checkout:
    """Open the provider's payment page for the domain's `reference`; redirect the
    customer to the returned checkout's `checkout_url`.

    Call it OUTSIDE any transaction, after the domain's own row is committed: our
    Checkout row is committed first (its pk is the idempotency key), then the provider
    is called with no lock held, then the session is stored. Calling it again for the
    same (domain, reference) returns the open checkout, or retries the provider with
    the same idempotency key if the last call failed (no second payment page).

    Raises PaymentError: PAYMENT_NOT_CONFIGURED (no keys: the demo), INVALID_AMOUNT,
    PAYMENT_PROVIDER_ERROR (unreachable, timeout, refused: the checkout stays "created"
    with `last_error`), CHECKOUT_CLOSED (already paid, failed or expired: a new attempt
    needs a new reference), CHECKOUT_MISMATCH (same reference, other amount).
    """
    if not registry.is_registered(domain):
        # A programming error (a typo, an app missing from INSTALLED_APPS): its payments
        # would be taken and never credited.
        raise PaymentError(UNKNOWN_DOMAIN, _("Domaine de paiement inconnu."), details={"domain": domain})
    if amount.amount <= 0:
        raise PaymentError(INVALID_AMOUNT, _("Le montant doit être positif."))
    provider = get_provider()
    if not provider.configured():
        raise PaymentError(PAYMENT_NOT_CONFIGURED, _("Le paiement en ligne n'est pas configuré."))

    checkout, created = Checkout.objects.get_or_create(
        domain=domain,
        reference=str(reference),
        defaults={
            "provider": provider.name,
            "amount": amount.amount,
            "currency": amount.currency,
            "description": description[:200],
            # Provider metadata values are text (Stripe refuses anything else).
            "metadata": {str(key): str(value) for key, value in (metadata or {}).items()},
            "expires_at": expires_at,
        },
    )
    if not created:
        if (checkout.amount, checkout.currency) != (amount.amount, amount.currency):
            raise PaymentError(CHECKOUT_MISMATCH, _("Ce paiement existe déjà avec un autre montant."))
        if checkout.status in FINAL:
            raise PaymentError(CHECKOUT_CLOSED, _("Ce paiement est déjà clos."), details={"status": checkout.status})
        if checkout.session_id and checkout.checkout_url:
            return checkout  # the page is open already: the same one again
        provider = get_provider(checkout.provider)

    try:
        session = provider.create_checkout(
            checkout=checkout,
            success_url=success_url,
            cancel_url=cancel_url,
            customer_email=customer_email,
            description=description,
        )
    except PaymentError as exc:
        Checkout.objects.filter(pk=checkout.pk).update(last_error=f"{exc.code}: {exc.details}"[:200])
        raise
    # Conditional: a webhook may have moved the checkout on already (it can arrive
    # before this line runs), and a retry must not replace a stored session.
    Checkout.objects.filter(pk=checkout.pk).update(
        session_id=Coalesce(F("session_id"), Value(session.session_id)),
        checkout_url=session.url,
        status=Case(When(status=CheckoutStatus.CREATED, then=Value(CheckoutStatus.OPEN)), default=F("status")),
        last_error="",
        updated_at=timezone.now(),
    )
    checkout.refresh_from_db()
    return checkout


# --- webhooks -------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookResult:
    """`duplicate`: the event had been processed already, nothing was done."""

    event: PaymentEvent
    duplicate: bool
    outcome: str


def webhook_receive(*, provider_name: str, body: bytes, headers: Mapping[str, str]) -> WebhookResult:
    """Verify, store once and apply one provider callback.

    A bad signature raises PaymentError(WEBHOOK_SIGNATURE_INVALID) and stores nothing.
    Every verified event is stored once (ON CONFLICT DO NOTHING on its id); a replay of
    a processed event changes nothing (duplicate=True). Processing runs in one
    transaction holding the event's row lock, then the checkout's (always in that
    order: two events of one checkout queue on the checkout, never deadlock), so the
    domain's effect and the event's "processed" mark commit together.

    A paid checkout reported in another currency than the one it was opened in is NOT
    credited: the event is marked processed with outcome "currency mismatch" (logged as
    an error, visible in admin) and acknowledged, since a redelivery would not change
    it; staff settle it with the customer by hand.

    A handler's exception rolls its work back; the event stays unprocessed with the
    error recorded, and PaymentError(WEBHOOK_PROCESSING_FAILED) asks the view for a 500
    so the provider delivers it again.
    """
    parsed = get_provider(provider_name).parse_webhook(body=body, headers=headers)
    event_pk = _event_store(parsed)
    try:
        with transaction.atomic():
            event = PaymentEvent.objects.select_for_update().get(pk=event_pk)
            if event.processed_at is not None:
                return WebhookResult(event=event, duplicate=True, outcome=event.outcome)
            outcome, checkout = _apply(parsed, event)
            event.checkout = checkout
            event.outcome = outcome[:200]
            event.processed_at = timezone.now()
            event.error = ""
            event.attempts += 1
            event.save(update_fields=["checkout", "outcome", "processed_at", "error", "attempts"])
    except Exception as exc:
        logger.exception("payment event %s (%s) failed", parsed.event_id, parsed.type)
        # Its own short transaction: the failed one is rolled back.
        PaymentEvent.objects.filter(pk=event_pk).update(
            error=f"{type(exc).__name__}: {exc}"[:2000], attempts=F("attempts") + 1
        )
        raise PaymentError(
            WEBHOOK_PROCESSING_FAILED, _("L'événement n'a pas pu être traité."), details={"event_id": parsed.event_id}
        ) from exc
    return WebhookResult(event=event, duplicate=False, outcome=event.outcome)


def _event_store(parsed: ProviderEvent) -> int:
    """The stored event's pk, inserting it unless its id is known. ON CONFLICT DO NOTHING
    rather than get_or_create: two deliveries of one event at once both end here, and
    neither gets an IntegrityError (the second waits for the first insert, then reads it)."""
    from django.core.serializers.json import DjangoJSONEncoder
    from psycopg.types.json import Jsonb

    table = PaymentEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (provider, event_id, type, kind, payload, received_at, outcome, error, attempts)
            VALUES (%s, %s, %s, %s, %s, %s, '', '', 0)
            ON CONFLICT (provider, event_id) DO NOTHING
            RETURNING id
            """,  # noqa: S608 - the table name is ours, every value is a parameter
            [
                parsed.provider,
                parsed.event_id[:255],
                parsed.type[:100],
                parsed.kind,
                Jsonb(parsed.payload, dumps=DjangoJSONEncoder().encode),
                timezone.now(),
            ],
        )
        row = cursor.fetchone()
    if row:
        return row[0]
    return PaymentEvent.objects.values_list("pk", flat=True).get(provider=parsed.provider, event_id=parsed.event_id)


def _checkout_locked(parsed: ProviderEvent) -> Checkout | None:
    """The event's checkout, locked: by session id, else payment reference, else the
    domain and reference we put in the provider's metadata."""
    rows = Checkout.objects.select_for_update().filter(provider=parsed.provider)
    if parsed.session_id and (found := rows.filter(session_id=parsed.session_id).first()):
        return found
    if parsed.payment_reference and (found := rows.filter(payment_reference=parsed.payment_reference).first()):
        return found
    if parsed.domain and parsed.reference:
        return rows.filter(domain=parsed.domain, reference=parsed.reference).first()
    return None


def _move(checkout: Checkout, status: str) -> bool:
    """Change the status if TRANSITIONS allows it (False otherwise: nothing changes)."""
    if status not in TRANSITIONS[checkout.status]:
        return False
    checkout.status = status
    return True


def _apply(parsed: ProviderEvent, event: PaymentEvent) -> tuple[str, Checkout | None]:
    """What the event does, under the locks; returns the outcome stored on the event."""
    if parsed.kind == IGNORED:
        return "ignored", None
    checkout = _checkout_locked(parsed)
    if checkout is None:
        logger.warning("payment event %s (%s): no matching checkout", parsed.event_id, parsed.type)
        return "no matching checkout", None
    if parsed.session_id and checkout.session_id and parsed.session_id != checkout.session_id:
        # Found by metadata: an older session of this checkout whose answer we never got
        # (its idempotency key expired before the retry). Nobody has its page.
        logger.warning("payment event %s: session %s is not the checkout's", parsed.event_id, parsed.session_id)
        return "ignored: not the checkout's current session", checkout
    handler = registry.get_handler(checkout.domain)
    if handler is None:
        # Raise, so the event is delivered again once the domain is deployed.
        raise LookupError(f"no payment handler registered for domain {checkout.domain!r}")
    if parsed.amount is not None and parsed.amount.currency != checkout.currency:
        logger.error(
            "payment event %s: currency mismatch, %s reported for checkout %s in %s: not applied",
            parsed.event_id,
            parsed.amount,
            checkout.pk,
            checkout.currency,
        )
        return f"currency mismatch: {parsed.amount.currency} instead of {checkout.currency}", checkout

    checkout.session_id = checkout.session_id or parsed.session_id or None
    checkout.payment_reference = checkout.payment_reference or parsed.payment_reference
    before = checkout.status
    outcome = _dispatch(parsed, event, checkout, handler)
    checkout.save()
    if before != checkout.status:
        logger.info("checkout %s: %s -> %s (%s)", checkout.pk, before, checkout.status, parsed.event_id)
    return outcome, checkout


def _dispatch(parsed: ProviderEvent, event: PaymentEvent, checkout: Checkout, handler) -> str:
    kind, amount = parsed.kind, parsed.amount
    if kind == PAID:
        if checkout.status == CheckoutStatus.PAID:
            return "already paid"
        if amount is None or not _move(checkout, CheckoutStatus.PAID):
            logger.error("payment event %s: paid reported for checkout %s (%s)", event.pk, checkout.pk, checkout.status)
            return f"not credited: checkout {checkout.status}" if amount else "not credited: no amount"
        if amount.amount != checkout.amount:
            # Credited as reported (what Stripe took is what the customer paid), but
            # staff should know: our line item said otherwise.
            logger.warning("checkout %s: %s paid, %s asked", checkout.pk, amount.amount, checkout.amount)
        checkout.amount_paid = amount.amount
        outcomes = [handler.on_paid(checkout=checkout, amount=amount, event=event)]
        # Reversals reported before the payment itself (out-of-order deliveries) were
        # recorded only; the domain hears of them now, after its credit.
        if checkout.refunded_amount:
            refunded = Money(checkout.refunded_amount, checkout.currency)
            outcomes.append(handler.on_refund(checkout=checkout, amount=refunded, event=event))
        if checkout.disputed_amount:
            disputed = Money(checkout.disputed_amount, checkout.currency)
            outcomes.append(handler.on_dispute(checkout=checkout, amount=disputed, event=event))
        return "; ".join(outcomes)
    if kind in (PENDING, FAILED, EXPIRED):
        status = {PENDING: CheckoutStatus.PENDING, FAILED: CheckoutStatus.FAILED, EXPIRED: CheckoutStatus.EXPIRED}[kind]
        if not _move(checkout, status):
            return f"ignored: checkout {checkout.status}"
        call = {PENDING: handler.on_pending, FAILED: handler.on_failed, EXPIRED: handler.on_expired}[kind]
        return call(checkout=checkout, event=event)
    if kind == REFUNDED:
        if amount is None:
            return "ignored: no amount"
        # Stripe reports the charge's cumulative refunded amount: pass on the increase
        # only, so two events of one charge (partial, then the rest; or delivered out
        # of order) never debit more than the total refunded.
        new = amount.amount - checkout.refunded_amount
        if new <= 0:
            return "refund already counted"
        checkout.refunded_amount = amount.amount
        if checkout.status != CheckoutStatus.PAID:
            return f"refund of {new} recorded, passed on when paid"
        return handler.on_refund(checkout=checkout, amount=Money(new, checkout.currency), event=event)
    if kind == DISPUTED:
        if amount is None:
            return "ignored: no amount"
        # One event per dispute (its id is unique), so each adds its own amount once.
        checkout.disputed_amount += amount.amount
        if checkout.status != CheckoutStatus.PAID:
            return f"dispute of {amount.amount} recorded, passed on when paid"
        return handler.on_dispute(checkout=checkout, amount=amount, event=event)
    return "ignored"
