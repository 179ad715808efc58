"""Which domain owns which payments: a domain registers one handler under its key
(the `domain` it passes to payments.services.checkout_start), in its AppConfig.ready():

    from payments.registry import BasePaymentHandler, register

    class RechargeHandler(BasePaymentHandler):
        def on_paid(self, *, checkout, amount, event):
            recharge = Recharge.objects.select_for_update().get(pk=checkout.reference)
            deposit_credit(...)  # the ledger row
            transaction.on_commit(lambda: send_receipt.delay(recharge.pk))
            return "credited"

    register("leads.recharge", RechargeHandler())

Handlers run INSIDE the webhook's transaction, with the Checkout row locked
(select_for_update): what a handler writes commits together with the event's
"processed" mark, or neither does. So a handler must not call the network nor send
e-mails itself; it schedules them with transaction.on_commit. An exception rolls
everything back and the provider delivers the event again later.

Each method is called at most once per checkout for on_paid / on_failed / on_expired
(payments.services guarantees it under the lock); on_refund and on_dispute get the
amount NEW to this event (a second refund event of the same charge passes only the
difference), so summing what they receive gives the total reversed. Each returns a short
outcome text stored on the event ("credited", "debited 500.00 MAD"...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from core.money import Money

if TYPE_CHECKING:
    from .models import Checkout, PaymentEvent


@runtime_checkable
class PaymentHandler(Protocol):
    def on_paid(self, *, checkout: Checkout, amount: Money, event: PaymentEvent) -> str: ...

    def on_pending(self, *, checkout: Checkout, event: PaymentEvent) -> str: ...

    def on_failed(self, *, checkout: Checkout, event: PaymentEvent) -> str: ...

    def on_expired(self, *, checkout: Checkout, event: PaymentEvent) -> str: ...

    def on_refund(self, *, checkout: Checkout, amount: Money, event: PaymentEvent) -> str: ...

    def on_dispute(self, *, checkout: Checkout, amount: Money, event: PaymentEvent) -> str: ...


class BasePaymentHandler:
    """Does nothing for each kind (the Checkout's status and amounts are kept by
    payments anyway): a domain overrides what it cares about."""

    def on_paid(self, *, checkout: Checkout, amount: Money, event: PaymentEvent) -> str:
        return "paid"

    def on_pending(self, *, checkout: Checkout, event: PaymentEvent) -> str:
        return "pending"

    def on_failed(self, *, checkout: Checkout, event: PaymentEvent) -> str:
        return "failed"

    def on_expired(self, *, checkout: Checkout, event: PaymentEvent) -> str:
        return "expired"

    def on_refund(self, *, checkout: Checkout, amount: Money, event: PaymentEvent) -> str:
        return f"refunded {amount.amount} {amount.currency}"

    def on_dispute(self, *, checkout: Checkout, amount: Money, event: PaymentEvent) -> str:
        return f"disputed {amount.amount} {amount.currency}"


_handlers: dict[str, PaymentHandler] = {}


def register(domain: str, handler: PaymentHandler) -> None:
    """Make `handler` the owner of the checkouts of `domain`. Registering the same key
    again replaces the handler (tests do; each domain's ready() runs once)."""
    if not isinstance(handler, PaymentHandler):
        raise TypeError(f"{handler!r} does not implement payments.registry.PaymentHandler")
    _handlers[domain] = handler


def unregister(domain: str) -> None:
    _handlers.pop(domain, None)


def get_handler(domain: str) -> PaymentHandler | None:
    return _handlers.get(domain)


def is_registered(domain: str) -> bool:
    return domain in _handlers
