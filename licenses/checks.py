"""System checks for the license settings, so a misconfiguration stops the deploy
(`manage.py check --deploy`, `migrate`) instead of surfacing in a nightly job."""

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from . import signing
from .selectors import STATS_DAYS


@register()
def check_activity_retention(app_configs, **kwargs):
    if settings.LICENSE_ACTIVITY_RETENTION_DAYS < STATS_DAYS:
        return [
            Error(
                f"LICENSE_ACTIVITY_RETENTION_DAYS ({settings.LICENSE_ACTIVITY_RETENTION_DAYS}) is shorter than "
                f"the statistics window ({STATS_DAYS} days).",
                hint=f"Set it to {STATS_DAYS} or more: the purge would empty the validations-per-day chart.",
                id="licenses.E001",
            )
        ]
    return []


@register()
def check_signing_keys(app_configs, **kwargs):
    """A malformed LICENSE_SIGNING_KEYS / LICENSE_VERIFY_KEYS stops the deploy, instead of
    the first trial or validation answering 500."""
    signing.keyring.cache_clear()
    try:
        signing.keyring()
    except (ValueError, ImproperlyConfigured) as exc:
        return [
            Error(
                str(exc),
                hint="Each entry is key_id:base64(32 bytes), comma-separated; manage.py license_keygen makes one.",
                id="licenses.E002",
            )
        ]
    finally:
        signing.keyring.cache_clear()
    return []
