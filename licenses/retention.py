"""Retention of the license activity log.

Validations and heartbeats arrive every day from every installed copy and each row
holds an IP address and client details: they are kept LICENSE_ACTIVITY_RETENTION_DAYS.
Everything else in the log (trials, activations, revocations, extensions...) is the
license's history and evidence in a dispute: kept forever.
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.retention import purge_in_batches

from .models import LicenseEvent
from .selectors import STATS_DAYS

PURGED_ACTIONS = [LicenseEvent.Action.VALIDATED, LicenseEvent.Action.HEARTBEAT]


def license_activity_purge(*, older_than_days: int) -> int:
    """Delete validation and heartbeat events older than `older_than_days`; returns how many."""
    if older_than_days < STATS_DAYS:
        # The statistics page counts validations per day over its last STATS_DAYS days.
        # The system check licenses.E001 refuses such a setting at deploy time already.
        raise DomainError(
            "RETENTION_TOO_SHORT",
            _("L'activité des licences doit être conservée au moins %(days)d jours (fenêtre des statistiques).")
            % {"days": STATS_DAYS},
        )
    cutoff = timezone.now() - timedelta(days=older_than_days)
    return purge_in_batches(LicenseEvent.objects.filter(action__in=PURGED_ACTIONS, created_at__lt=cutoff))
