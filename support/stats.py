"""Support statistics: what the staff API (GET /api/tickets/admin/stats), the statistics
page (/support/stats/) and its CSV export show.

Every figure is computed by the database from the times stored when they happen
(`first_response_at` at the staff's first public reply, `resolved_at` at the last
resolution), never from `updated_at`, which every edit moves. Each function below is one
query whatever the number of tickets. Days and weeks are those of the site's time zone
(`TIME_ZONE`), not UTC.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, DateField, F, Q
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Ticket

S = Ticket.Status
# Tickets still waiting for work: the backlog, and "open for more than a week".
UNFINISHED = (S.OPEN, S.IN_PROGRESS, S.WAITING)
OLD_AFTER = timedelta(days=7)
PERIODS = (7, 30, 90)  # days, the page's choices
DEFAULT_PERIOD = 30
WEEKS = 12

_FIRST_RESPONSE = F("first_response_at") - F("created_at")
_RESOLUTION = F("resolved_at") - F("created_at")


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds(), 1)


def _hours(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 3600, 1)


def _site_tz():
    return timezone.get_default_timezone()


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=_site_tz())


def duration_text(seconds: float | None) -> str | None:
    """A duration as staff read it, in the active language: "45 minutes" under an hour,
    "4,5 heures" ("4.5 hours") under two days, "3,2 jours" beyond; None without one. (The API
    returns it as `avg_resolution_time`: plain spaces, as its documentation shows.)"""
    if seconds is None:
        return None
    minutes = round(seconds / 60)
    if minutes < 1:
        return _("moins d'une minute")
    if minutes < 60:
        return ngettext("%(count)s minute", "%(count)s minutes", minutes) % {"count": minutes}
    hours = round(seconds / 3600, 1)
    if hours < 48:
        # The integer part chooses the form: French says "1,5 heure" (singular below 2).
        # Translators: the value always has a decimal ("1.5 hours"): plural in both forms.
        return ngettext("%(value)s heure", "%(value)s heures", math.floor(hours)) % {
            "value": formats.number_format(hours, decimal_pos=1)
        }
    days = round(seconds / 86400, 1)
    # Translators: the value always has a decimal ("2.0 days"): plural in both forms.
    return ngettext("%(value)s jour", "%(value)s jours", math.floor(days)) % {
        "value": formats.number_format(days, decimal_pos=1)
    }


def _created_between(since: datetime | None, until: datetime | None) -> Q:
    condition = Q()
    if since is not None:
        condition &= Q(created_at__gte=since)
    if until is not None:
        condition &= Q(created_at__lt=until)
    return condition


def ticket_stats(*, since: datetime | None = None, until: datetime | None = None) -> dict:
    """The figures of the tickets created in [since, until) (all of them by default), in
    one query: counts per status, category and priority (every choice, 0 when none), the
    average first response and resolution in seconds (None when no ticket has the time),
    and how many of them are still unfinished more than 7 days after they were opened."""
    old_before = timezone.now() - OLD_AFTER
    row = Ticket.objects.filter(_created_between(since, until)).aggregate(
        total=Count("pk"),
        **{f"status_{c}": Count("pk", filter=Q(status=c)) for c in S.values},
        **{f"category_{c}": Count("pk", filter=Q(category=c)) for c in Ticket.Category.values},
        **{f"priority_{c}": Count("pk", filter=Q(priority=c)) for c in Ticket.Priority.values},
        first_response=Avg(_FIRST_RESPONSE, filter=Q(first_response_at__isnull=False)),
        resolution=Avg(_RESOLUTION, filter=Q(resolved_at__isnull=False)),
        open_old=Count("pk", filter=Q(status__in=UNFINISHED, created_at__lt=old_before)),
    )
    resolution = _seconds(row["resolution"])
    return {
        "total": row["total"],
        "by_status": {c: row[f"status_{c}"] for c in S.values},
        "by_category": {c: row[f"category_{c}"] for c in Ticket.Category.values},
        "by_priority": {c: row[f"priority_{c}"] for c in Ticket.Priority.values},
        "avg_first_response_seconds": _seconds(row["first_response"]),
        "avg_resolution_seconds": resolution,
        "avg_resolution_time": duration_text(resolution),
        "open_older_than_7_days": row["open_old"],
    }


def period_start(days: int) -> datetime:
    """Midnight (site time) starting the last `days` days, today included."""
    return _local_midnight(timezone.localdate(timezone=_site_tz()) - timedelta(days=days - 1))


def weeks_for(days: int) -> int:
    """The weeks the weekly chart shows beside a period of `days`: WEEKS, or enough
    weeks to cover the period (13 for 90 days)."""
    return max(WEEKS, math.ceil(days / 7))


def daily_by_category(*, days: int = DEFAULT_PERIOD) -> list[dict]:
    """Tickets opened per local day and category over the last `days` days (today
    included), zero-filled: `[{"date", "by_category": {code: n}, "total"}]`, oldest first."""
    today = timezone.localdate(timezone=_site_tz())
    day_list = [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    rows = (
        Ticket.objects.filter(created_at__gte=_local_midnight(day_list[0]))
        .annotate(day=TruncDate("created_at", tzinfo=_site_tz()))
        .values("day", "category")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("day", "category", "n")
    )
    counts = {(day, category): n for day, category, n in rows}
    result = []
    for day in day_list:
        by_category = {c: counts.get((day, c), 0) for c in Ticket.Category.values}
        result.append({"date": day, "by_category": by_category, "total": sum(by_category.values())})
    return result


def weekly_times(*, weeks: int = WEEKS) -> list[dict]:
    """Per ISO week of creation (local Monday to Sunday), over the last `weeks` weeks
    (this one included): the tickets opened, and the average first response and
    resolution of those that have one, in hours (None when none has):
    `[{"week" (its Monday), "iso_week" ("2026-W05"), "tickets", "answered",
    "first_response_hours", "resolved", "resolution_hours"}]`, oldest first."""
    today = timezone.localdate(timezone=_site_tz())
    this_monday = today - timedelta(days=today.weekday())
    mondays = [this_monday - timedelta(weeks=offset) for offset in range(weeks - 1, -1, -1)]
    rows = (
        Ticket.objects.filter(created_at__gte=_local_midnight(mondays[0]))
        .annotate(week=TruncWeek("created_at", tzinfo=_site_tz(), output_field=DateField()))
        .values("week")
        .annotate(
            tickets=Count("pk"),
            answered=Count("pk", filter=Q(first_response_at__isnull=False)),
            first_response=Avg(_FIRST_RESPONSE, filter=Q(first_response_at__isnull=False)),
            resolved=Count("pk", filter=Q(resolved_at__isnull=False)),
            resolution=Avg(_RESOLUTION, filter=Q(resolved_at__isnull=False)),
        )
        .order_by()
    )
    by_week = {row["week"]: row for row in rows}
    result = []
    for monday in mondays:
        row = by_week.get(monday, {})
        year, week, _weekday = monday.isocalendar()
        result.append(
            {
                "week": monday,
                "iso_week": f"{year}-W{week:02d}",
                "tickets": row.get("tickets", 0),
                "answered": row.get("answered", 0),
                "first_response_hours": _hours(row.get("first_response")),
                "resolved": row.get("resolved", 0),
                "resolution_hours": _hours(row.get("resolution")),
            }
        )
    return result


def backlog_by_status() -> list[dict]:
    """The tickets waiting for work now, whenever they were opened, per status (open,
    in progress, waiting for the customer; resolved ones only wait to be closed), with
    those opened more than 7 days ago: `[{"status", "label", "count", "older_than_7_days"}]`."""
    old_before = timezone.now() - OLD_AFTER
    row = Ticket.objects.aggregate(
        **{f"n_{c}": Count("pk", filter=Q(status=c)) for c in UNFINISHED},
        **{f"old_{c}": Count("pk", filter=Q(status=c, created_at__lt=old_before)) for c in UNFINISHED},
    )
    return [
        {"status": c.value, "label": str(c.label), "count": row[f"n_{c}"], "older_than_7_days": row[f"old_{c}"]}
        for c in UNFINISHED
    ]
