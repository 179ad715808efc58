"""First-response targets per priority, in hours or business days (SUPPORT_FIRST_RESPONSE_TARGETS).

"1 business day" is the same time on the next working day (SUPPORT_BUSINESS_DAYS, in
the site's time zone): a ticket sent on Friday at 15:00 is due on Monday at 15:00, one
sent on Saturday on Monday at the same time. Hours are hours of the clock: an urgent
ticket waits for no week-end.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

_TARGET = re.compile(r"^\s*(\d+)\s*(h|bd)\s*$")


def parse(target: str) -> tuple[int, str]:
    """'4h' -> (4, 'h'); '3bd' -> (3, 'bd')."""
    match = _TARGET.match(target or "")
    if not match:
        raise ImproperlyConfigured(f"A first-response target is 'Nh' or 'Nbd' (business days), not {target!r}")
    return int(match[1]), match[2]


def add_business_days(start: datetime, days: int) -> datetime:
    local = timezone.localtime(start)
    working = set(settings.SUPPORT_BUSINESS_DAYS)
    if not working:
        raise ImproperlyConfigured("SUPPORT_BUSINESS_DAYS is empty")
    day, counted = local, 0
    while counted < days:
        day += timedelta(days=1)
        if day.weekday() in working:
            counted += 1
    # Same wall-clock time in the site's zone (a DST change keeps the hour, not the delta).
    return timezone.make_aware(datetime.combine(day.date(), local.time().replace(tzinfo=None)))


def first_response_due(*, start: datetime, priority: str) -> datetime:
    amount, unit = parse(settings.SUPPORT_FIRST_RESPONSE_TARGETS[priority])
    if unit == "h":
        return start + timedelta(hours=amount)
    return add_business_days(start, amount)


def check_settings() -> None:
    """At start-up: every priority has a valid target."""
    from .models import Ticket

    missing = set(Ticket.Priority.values) - set(settings.SUPPORT_FIRST_RESPONSE_TARGETS)
    if missing:
        raise ImproperlyConfigured(f"SUPPORT_FIRST_RESPONSE_TARGETS lacks {', '.join(sorted(missing))}")
    for target in settings.SUPPORT_FIRST_RESPONSE_TARGETS.values():
        parse(target)
