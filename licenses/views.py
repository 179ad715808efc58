"""Staff pages of the license server: the statistics page and its CSV export."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from . import permissions
from .models import License
from .selectors import ACTIVE_MACHINE_DAYS, IN_USE_DAYS, STATS_DAYS, Bucket, license_stats, stats_rows

# --- CSV ------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str | int | float:
    """A cell safe to open in a spreadsheet: text starting like a formula (a client's
    OS string, a note) is prefixed with a quote so that it is shown, never run."""
    if value is None:
        return ""
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    """A UTF-8 CSV download (with a BOM so that spreadsheet software reads the accents)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return response


# --- charts (inline SVG, computed here, drawn by the template) -----------------------

CHART_WIDTH = 600
CHART_HEIGHT = 140
CHART_GAP = 2


def column_chart(series: Sequence[tuple[date, int]]) -> dict:
    """Geometry of a column chart (one bar per day) in a CHART_WIDTH x CHART_HEIGHT box."""
    peak = max((n for _day, n in series), default=0)
    step = CHART_WIDTH / max(len(series), 1)
    bars = []
    for index, (day, n) in enumerate(series):
        height = round(CHART_HEIGHT * n / peak, 1) if peak else 0
        if n and height < 1:
            height = 1
        bars.append(
            {
                "x": round(index * step + CHART_GAP / 2, 1),
                "y": round(CHART_HEIGHT - height, 1),
                "width": round(step - CHART_GAP, 1),
                "height": height,
                "day": day,
                "value": n,
            }
        )
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "bars": bars,
        "peak": peak,
        "total": sum(n for _day, n in series),
        "first": series[0][0] if series else None,
        "last": series[-1][0] if series else None,
    }


def share_rows(buckets: Sequence[Bucket], total: int | None = None) -> list[dict]:
    """Rows of a breakdown table with each share of the total (for a bar in the row); none
    when there is nothing to count, so that the table says "Aucune donnée" instead of a
    column of zeros."""
    total = sum(b.value for b in buckets) if total is None else total
    if not total:
        return []
    peak = max((b.value for b in buckets), default=0)
    return [
        {
            "key": b.key,
            "label": b.label,
            "value": b.value,
            "percent": round(100 * b.value / total, 1) if total else 0,
            "bar": round(100 * b.value / peak, 1) if peak else 0,
        }
        for b in buckets
    ]


# --- views ----------------------------------------------------------------------------


def staff_with_permission(view):
    """Anonymous and non-staff users go to the admin login; staff without the
    permission get a 403."""
    return staff_member_required(permission_required(permissions.VIEW_STATS, raise_exception=True)(view))


@staff_with_permission
def stats(request: HttpRequest) -> TemplateResponse:
    data = license_stats()
    context = {
        **admin.site.each_context(request),
        "title": _("Statistiques des licences"),
        "opts": License._meta,
        "stats": data,
        "by_type": share_rows(data.by_type, data.total),
        "by_status": share_rows(data.by_status, data.total),
        "by_product": share_rows(data.by_product, data.total),
        "app_versions": share_rows(data.app_versions),
        "os_info": share_rows(data.os_info),
        "trials_chart": column_chart(data.trials_per_day),
        "validations_chart": column_chart(data.validations_per_day),
        "stats_days": STATS_DAYS,
        "active_machine_days": ACTIVE_MACHINE_DAYS,
        "in_use_days": IN_USE_DAYS,
    }
    return TemplateResponse(request, "licenses/stats.html", context)


@staff_with_permission
def stats_csv(request: HttpRequest) -> HttpResponse:
    data = license_stats()
    stamp = formats.date_format(timezone.localdate(data.now), "Ymd")
    return csv_response(f"licences-statistiques-{stamp}.csv", ["metric", "key", "value"], stats_rows(data))
