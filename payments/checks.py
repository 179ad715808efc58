"""System checks for the payment settings: a half-configured provider would quietly
show "online payment not configured", or take payments it can never hear about."""

from django.conf import settings
from django.core.checks import Error, Warning, register

from .providers import PROVIDERS


@register()
def check_provider(app_configs, **kwargs):
    if settings.PAYMENTS_PROVIDER not in PROVIDERS:
        return [
            Error(
                f"PAYMENTS_PROVIDER {settings.PAYMENTS_PROVIDER!r} is not a payment provider.",
                hint=f"One of: {', '.join(sorted(PROVIDERS))}.",
                id="payments.E001",
            )
        ]
    return []


@register()
def check_stripe_keys(app_configs, **kwargs):
    secret, webhook = bool(settings.STRIPE_SECRET_KEY), bool(settings.STRIPE_WEBHOOK_SECRET)
    if secret == webhook:
        return []  # both (online payment on) or neither (off, the demo): both fine
    missing = "STRIPE_WEBHOOK_SECRET" if secret else "STRIPE_SECRET_KEY"
    return [
        Warning(
            "Only one of STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET is set: online payment stays off.",
            hint=f"Set {missing} too (the webhook secret of /api/webhooks/stripe, whsec_...), or neither.",
            id="payments.W001",
        )
    ]
