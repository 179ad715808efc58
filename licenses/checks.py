"""System checks for the license settings, so a misconfiguration stops the deploy
(`manage.py check --deploy`, `migrate`) instead of surfacing in a nightly job."""

from django.conf import settings
from django.core.checks import Error, register

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
