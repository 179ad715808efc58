"""Reads of payments for domains (the return page's "paiement en cours") and admin."""

from __future__ import annotations

from .models import Checkout


def checkout_get(*, domain: str, reference: str) -> Checkout | None:
    """The checkout of the domain's `reference`, if one was started."""
    return Checkout.objects.filter(domain=domain, reference=str(reference)).first()


def checkout_for_session(*, session_id: str) -> Checkout | None:
    """The checkout of a provider session (the success URL may carry {CHECKOUT_SESSION_ID})."""
    if not session_id:
        return None
    return Checkout.objects.filter(session_id=session_id).first()


def online_payment_configured() -> bool:
    """Whether the current provider has its keys; without them a domain offers its
    offline path (bank transfer recorded by staff) and says online payment is off."""
    from .providers import get_provider

    return get_provider().configured()
