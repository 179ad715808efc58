"""Expiry notifications: reminder e-mails before a license expires, a webhook once it has.

Each notice is sent once per expiry date. The License row remembers the expires_at
value a notice went out for (reminded_7d_for, reminded_1d_for, expired_notified_for),
set with a conditional UPDATE so that two runs of the daily job cannot both send.
Extending the license moves expires_at away from the remembered value, which re-arms
the notices for the new date.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from core.notify import notify_email

from . import webhooks
from .models import License, LicenseEvent, LicenseType
from .serializers import days_remaining

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reminder:
    kind: str  # part of the outbox key: never rename
    field: str  # License field holding the expires_at value the reminder was sent for
    # The reminder is due while the expiry is in (low, high] from now. The windows do
    # not overlap, so a license already within one day only gets the one-day reminder.
    low: timedelta
    high: timedelta


REMINDERS = (
    Reminder(kind="remind7", field="reminded_7d_for", low=timedelta(days=1), high=timedelta(days=7)),
    Reminder(kind="remind1", field="reminded_1d_for", low=timedelta(0), high=timedelta(days=1)),
)


def _expiring() -> Q:
    # Lifetime licenses have no expiry (a check constraint guarantees it); both are
    # stated so the intent does not rest on the constraint. Revoked licenses are not
    # reminded: renewing would not help them.
    return Q(is_revoked=False, expires_at__isnull=False) & ~Q(license_type=LicenseType.LIFETIME)


def _not_sent_for_current_expiry(field: str) -> Q:
    return Q(**{f"{field}__isnull": True}) | ~Q(**{field: F("expires_at")})


def renewal_url(lic: License) -> str:
    return lic.product.renewal_url or settings.LICENSE_RENEWAL_URL


@transaction.atomic
def license_expiry_reminder_send(
    *, license_id: int, reminder: Reminder, expires_at: datetime, now: datetime | None = None
) -> bool:
    """Queue one reminder e-mail for the license's current expiry. True if this call queued it.

    The claim and the outbox row commit together: if the e-mail cannot be queued the
    claim is rolled back and the next run tries again. The outbox key is unique too,
    so even a cleared claim never produces a second e-mail for the same expiry.
    """
    now = now or timezone.now()
    claimed = (
        License.objects.filter(_expiring() & _not_sent_for_current_expiry(reminder.field))
        # expires_at as read by the caller, and still inside the window: a license
        # extended meanwhile is left for the next run.
        .filter(
            pk=license_id,
            expires_at=expires_at,
            expires_at__gt=now + reminder.low,
            expires_at__lte=now + reminder.high,
        )
        .update(**{reminder.field: expires_at})
    )
    if not claimed:
        return False
    lic = License.objects.select_related("product").get(pk=license_id)
    notify_email(
        key=f"license:{lic.pk}:{reminder.kind}:{expires_at.isoformat()}",
        to=lic.email,
        template=f"licenses/email/{reminder.kind}",
        context={
            "license": lic,
            "product_name": lic.product.name,
            "expires_at": expires_at,
            "days_left": days_remaining(expires_at, now),
            "is_trial": lic.license_type == LicenseType.TRIAL,
            "renewal_url": renewal_url(lic),
        },
        # A license records no language (the desktop app does not send one): the site's.
        language=settings.LANGUAGE_CODE,
    )
    return True


def license_expiry_reminders_send(*, now: datetime | None = None) -> dict[str, int]:
    """Queue every reminder due now. Safe to run any number of times a day.

    Each license is handled in its own transaction, so one failing row (logged) does
    not hold back the reminders of the others.
    """
    now = now or timezone.now()
    sent: dict[str, int] = {}
    for reminder in REMINDERS:
        sent[reminder.kind] = 0
        due = (
            License.objects.filter(_expiring() & _not_sent_for_current_expiry(reminder.field))
            .filter(expires_at__gt=now + reminder.low, expires_at__lte=now + reminder.high)
            .order_by("expires_at", "pk")
            .values_list("pk", "expires_at")
        )
        # Materialised first: each row is then updated in its own transaction.
        for license_id, expires_at in list(due):
            try:
                if license_expiry_reminder_send(
                    license_id=license_id, reminder=reminder, expires_at=expires_at, now=now
                ):
                    sent[reminder.kind] += 1
            except OperationalError:
                # The database itself is unavailable: fail the run (the task retries it)
                # rather than log the same error for every remaining license.
                raise
            except Exception:
                logger.exception("license %s: %s reminder failed", license_id, reminder.kind)
    logger.info("license expiry reminders queued: %s", sent)
    return sent


@transaction.atomic
def license_expired_notify(*, license_id: int, expires_at: datetime, now: datetime | None = None) -> bool:
    """Log the expiry and emit license.expired, once per expiry date. True if this call did."""
    now = now or timezone.now()
    claimed = (
        License.objects.filter(_expiring() & _not_sent_for_current_expiry("expired_notified_for"))
        .filter(pk=license_id, expires_at=expires_at, expires_at__lte=now)
        .update(expired_notified_for=expires_at)
    )
    if not claimed:
        return False
    lic = License.objects.select_related("product").get(pk=license_id)
    LicenseEvent.objects.create(
        license=lic, action=LicenseEvent.Action.EXPIRED, details={"expires_at": expires_at.isoformat()}
    )
    # Deliveries are recorded in this transaction and sent after it commits.
    webhooks.emit(event="license.expired", license=lic)
    return True


def licenses_expired_notify(*, now: datetime | None = None) -> int:
    """Announce every license that expired since the last run. Safe to run repeatedly.

    Revoked licenses are skipped (license.revoked already told receivers); one that is
    reinstated after its expiry is announced by the next run.
    """
    now = now or timezone.now()
    due = (
        License.objects.filter(_expiring() & _not_sent_for_current_expiry("expired_notified_for"))
        .filter(expires_at__lte=now)
        .order_by("expires_at", "pk")
        .values_list("pk", "expires_at")
    )
    count = 0
    for license_id, expires_at in list(due):
        try:
            if license_expired_notify(license_id=license_id, expires_at=expires_at, now=now):
                count += 1
        except OperationalError:
            raise
        except Exception:
            logger.exception("license %s: license.expired notification failed", license_id)
    logger.info("license.expired emitted for %s license(s)", count)
    return count
