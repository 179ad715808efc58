"""The staff's statistics page (/support/stats/) and its CSV export: the figures of
support.stats, for the last 7, 30 or 90 days.

CSV format, chosen for the team's spreadsheet (Excel in French): `;`-separated, numbers
with a decimal comma ("3,5"), dates in ISO form (2026-01-31, which every spreadsheet
reads), UTF-8 with a BOM (so the accents are read as such). Columns are codes, not
labels, so that a script reads it too (`pandas.read_csv(f, sep=";", decimal=",")`):
`kind;start;category;tickets;first_response_avg_hours;resolution_avg_hours`, one `day`
row per day and category, then one `week` row per ISO week (`start` its Monday).
"""

from __future__ import annotations

import csv
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from . import charts, stats
from .models import Ticket

# The permission of the staff API's statistics too: one permission through every door.
VIEW_PERMISSION = "support.view_ticket"
PERIOD_PARAM = "jours"


def staff_view(view):
    """Anonymous visitors go to the login page; accounts that are not staff holding
    VIEW_PERMISSION get the platform's 403 page."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not (request.user.is_staff and request.user.has_perm(VIEW_PERMISSION)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _period(request: HttpRequest) -> int | None:
    """The period asked for (DEFAULT_PERIOD without one); None for anything else."""
    raw = request.GET.get(PERIOD_PARAM, "")
    if not raw:
        return stats.DEFAULT_PERIOD
    return int(raw) if raw.isdigit() and int(raw) in stats.PERIODS else None


def _periods(current: int | None) -> list[dict]:
    return [{"days": days, "current": days == current} for days in stats.PERIODS]


def _refused(request: HttpRequest) -> HttpResponse:
    short, month, quarter = stats.PERIODS
    message = _("Période inconnue : choisissez %(short)s, %(month)s ou %(quarter)s jours.") % {
        "short": short,
        "month": month,
        "quarter": quarter,
    }
    context = {"error": message, "periods": _periods(None), "period_param": PERIOD_PARAM}
    return render(request, "support/stats.html", context, status=400)


@require_GET
@staff_view
@cache_control(private=True, no_store=True)
def stats_page(request: HttpRequest) -> HttpResponse:
    days = _period(request)
    if days is None:
        return _refused(request)
    since = stats.period_start(days)
    figures = stats.ticket_stats(since=since)
    daily = stats.daily_by_category(days=days)
    weekly = stats.weekly_times(weeks=stats.weeks_for(days))
    backlog = stats.backlog_by_status()
    context = {
        "days": days,
        "since": since,
        "periods": _periods(days),
        "period_param": PERIOD_PARAM,
        "figures": figures,
        "first_response_text": stats.duration_text(figures["avg_first_response_seconds"]),
        "by_status": _labelled(figures["by_status"], Ticket.Status, figures["total"]),
        "by_category": _labelled(figures["by_category"], Ticket.Category, figures["total"]),
        "by_priority": _labelled(figures["by_priority"], Ticket.Priority, figures["total"]),
        "daily": charts.stacked_days(daily),
        "first_response_chart": charts.week_columns(weekly, "first_response_hours", "answered"),
        "resolution_chart": charts.week_columns(weekly, "resolution_hours", "resolved"),
        "weekly": weekly,
        "backlog": charts.backlog_bars(backlog),
        "backlog_total": sum(row["count"] for row in backlog),
        "backlog_old": sum(row["older_than_7_days"] for row in backlog),
        "now": timezone.now(),
    }
    return render(request, "support/stats.html", context)


def _labelled(counts: dict, choices, total: int) -> list[dict]:
    return [
        {
            "key": code,
            "label": choices(code).label,
            "value": n,
            "percent": round(100 * n / total, 1) if total else 0,
        }
        for code, n in counts.items()
    ]


def _decimal(value: float | None) -> str:
    # One decimal with a comma whatever the page's language: the file's format is fixed.
    return "" if value is None else f"{value:.1f}".replace(".", ",")


@require_GET
@staff_view
def stats_csv(request: HttpRequest) -> HttpResponse:
    days = _period(request)
    if days is None:
        return _refused(request)
    daily = stats.daily_by_category(days=days)
    weekly = stats.weekly_times(weeks=stats.weeks_for(days))
    stamp = formats.date_format(timezone.localdate(), "Ymd")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="support-statistiques-{days}j-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    response.write("\ufeff")
    # Every cell is a code, a date or a number written here: nothing a customer typed,
    # so nothing a spreadsheet could take for a formula.
    writer = csv.writer(response, delimiter=";")
    writer.writerow(["kind", "start", "category", "tickets", "first_response_avg_hours", "resolution_avg_hours"])
    for day in daily:
        for code, n in day["by_category"].items():
            writer.writerow(["day", day["date"].isoformat(), code, n, "", ""])
    for week in weekly:
        writer.writerow(
            [
                "week",
                week["week"].isoformat(),
                "",
                week["tickets"],
                _decimal(week["first_response_hours"]),
                _decimal(week["resolution_hours"]),
            ]
        )
    return response
