"""The marketplace's side of online payments: the payments app calls this handler,
inside the webhook's transaction, for the checkouts of domain "leads.recharge" (whose
reference is a Recharge id). Amounts are the provider's own figures."""

from __future__ import annotations

import logging

from payments.registry import BasePaymentHandler

from . import recharges
from .models import CURRENCY, Recharge

logger = logging.getLogger(__name__)


class RechargeHandler(BasePaymentHandler):
    def on_paid(self, *, checkout, amount, event) -> str:
        if amount.currency.upper() != CURRENCY:
            # payments refuses a currency other than the checkout's; this is the domain's
            # own guard: a deposit in dirhams is never credited with euros.
            logger.error("recharge %s paid in %s, not credited", checkout.reference, amount.currency)
            return f"not credited: currency {amount.currency}"
        recharge = recharges.recharge_credit(
            recharge_id=int(checkout.reference),
            amount=amount.amount,
            external_reference=checkout.payment_reference or checkout.session_id or "",
        )
        return f"credited {amount.amount} {amount.currency}" if recharge else "already credited"

    def on_pending(self, *, checkout, event) -> str:
        # Paid by a delayed method: async_payment_succeeded (or _failed) follows.
        return "awaiting payment"

    def on_failed(self, *, checkout, event) -> str:
        recharges.recharge_mark(recharge_id=int(checkout.reference), status=Recharge.Status.FAILED)
        return "failed"

    def on_expired(self, *, checkout, event) -> str:
        recharges.recharge_mark(recharge_id=int(checkout.reference), status=Recharge.Status.EXPIRED)
        return "expired"

    def on_refund(self, *, checkout, amount, event) -> str:
        return self._reverse(checkout=checkout, amount=amount, event=event, what="refund")

    def on_dispute(self, *, checkout, amount, event) -> str:
        return self._reverse(checkout=checkout, amount=amount, event=event, what="dispute")

    def _reverse(self, *, checkout, amount, event, what: str) -> str:
        # Keyed on the event and the kind of reversal: one event may carry both (a refund
        # and a dispute reported before the payment are passed on with the payment's event).
        debited = recharges.recharge_debit(
            recharge_id=int(checkout.reference),
            amount=amount.amount,
            key=f"{what}:{event.provider}:{event.event_id}",
            reason=f"{event.type} {event.event_id}",
        )
        return f"{what}: debited {debited} of {amount.amount} {amount.currency}"
