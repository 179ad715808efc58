"""What a payment provider does for the platform, and nothing more: open a hosted
payment page for a Checkout, and turn a callback it sends into a verified, normalised
ProviderEvent. Everything after that (the event store, idempotency, locking, dispatch to
the domain) is the provider-agnostic code of payments.services, so a domain never knows
which provider took the money.

How a second provider fits (CMI, the Moroccan card network), without touching domains:

- `create_checkout()`: CMI has no session API; its hosted page is reached by POSTing a
  form (clientid, oid, amount, currency 504, okUrl/failUrl, callbackUrl, rnd, hash =
  base64(SHA-512 of the sorted fields and the store key)). The provider returns
  `CheckoutSession(session_id=<the oid it chose, e.g. "cmi-<checkout.pk>">, url=<a page
  of ours, e.g. /payments/cmi/<oid>/, rendering that form auto-submitted>)`. The domain
  still just redirects to `url`; no network call is made here, so it cannot time out.
- `parse_webhook()`: CMI's server-to-server callback is a form POST signed with the
  same store key (HASH field): the provider verifies it on the raw body, raising
  PaymentError(WEBHOOK_SIGNATURE_INVALID) otherwise, and maps it to a ProviderEvent:
  `event_id` = oid + its transaction id (CMI has no event ids; a redelivery of the
  same callback must give the same id), `session_id` = oid, `kind` "paid" when
  ProcReturnCode is "00" else "failed", `amount` from its amount and currency fields.
- Its answer body differs (CMI expects "ACTION=POSTAUTH"): the provider's own webhook
  view (`payments.views.webhook_view` takes the provider name) can shape it; the
  services' result is the same.
- `configured()` is false without its client id and store key, exactly as Stripe.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.money import Money

if TYPE_CHECKING:
    from payments.models import Checkout

# The normalised kinds of event a domain hears about ("" for every other type: stored,
# acknowledged, ignored).
PAID = "paid"
PENDING = "pending"  # the customer finished, the money is not there yet (bank debits...)
FAILED = "failed"
EXPIRED = "expired"
REFUNDED = "refunded"
DISPUTED = "disputed"
IGNORED = ""
KINDS = (PAID, PENDING, FAILED, EXPIRED, REFUNDED, DISPUTED, IGNORED)


@dataclass(frozen=True)
class CheckoutSession:
    """Where to send the customer: the provider's id for the attempt and its page."""

    session_id: str
    url: str


@dataclass(frozen=True)
class ProviderEvent:
    """One verified callback, in the platform's terms.

    `amount` always comes from the provider's own figures, never from our records:
    the session's total for paid/pending, the charge's CUMULATIVE refunded amount for
    "refunded" (payments.services turns it into what is newly refunded, so two refund
    events of one charge never debit twice), the disputed amount for "disputed".
    `domain` and `reference` are what we put in the provider's metadata at checkout,
    used to find the Checkout when neither `session_id` nor `payment_reference` is known.
    """

    provider: str
    event_id: str
    type: str
    kind: str
    session_id: str = ""
    payment_reference: str = ""
    amount: Money | None = None
    domain: str = ""
    reference: str = ""
    payload: dict = field(default_factory=dict, compare=False, repr=False)


class PaymentProvider(abc.ABC):
    """A payment provider; one instance per use (payments.providers.get_provider)."""

    name: str

    @abc.abstractmethod
    def configured(self) -> bool:
        """True when its keys are set; false in the demo (domains then offer no online payment)."""

    @abc.abstractmethod
    def create_checkout(
        self,
        *,
        checkout: Checkout,
        success_url: str,
        cancel_url: str,
        customer_email: str = "",
        description: str,
    ) -> CheckoutSession:
        """Open the hosted payment page for `checkout` (amount, currency, domain,
        reference, metadata). Called outside any transaction; must be safe to call again
        for the same checkout (same idempotency key). Any failure of the provider raises
        PaymentError(PAYMENT_PROVIDER_ERROR)."""

    @abc.abstractmethod
    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Verify the callback's signature on the raw `body` (never re-serialised JSON)
        and normalise it. A missing, wrong or stale signature raises
        PaymentError(WEBHOOK_SIGNATURE_INVALID); a signed body that cannot be read,
        PaymentError(WEBHOOK_PAYLOAD_INVALID)."""
