"""The payment providers by name; PAYMENTS_PROVIDER names the one new checkouts use."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from ..errors import UNKNOWN_PROVIDER, PaymentError
from .base import CheckoutSession, PaymentProvider, ProviderEvent

__all__ = ["PROVIDERS", "CheckoutSession", "PaymentProvider", "ProviderEvent", "get_provider"]

# A second provider (CMI) is one more line here and its module (see providers/base.py).
PROVIDERS = {
    "stripe": "payments.providers.stripe.StripeProvider",
}


def get_provider(name: str | None = None) -> PaymentProvider:
    """The provider `name` (default PAYMENTS_PROVIDER). A fresh instance each time: it
    reads its keys from settings when used, so tests can override them."""
    name = name or settings.PAYMENTS_PROVIDER
    try:
        path = PROVIDERS[name]
    except KeyError:
        raise PaymentError(
            UNKNOWN_PROVIDER, _("Fournisseur de paiement inconnu."), details={"provider": name}
        ) from None
    return import_string(path)()
