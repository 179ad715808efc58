"""Geometry of the statistics page's charts, drawn by its templates as inline SVG (no
JavaScript, nothing from a CDN). Coordinates are in a WIDTH x HEIGHT box that the page
stretches to its width; the labels are HTML beside the drawing, so they never stretch."""

from __future__ import annotations

from collections.abc import Sequence

from .models import Ticket

WIDTH = 600
HEIGHT = 160
GAP = 2  # between two columns


def _height(value: float, peak: float) -> float:
    if not peak or not value:
        return 0
    # A small non-zero value stays visible.
    return max(round(HEIGHT * value / peak, 1), 1)


def _columns(count: int) -> tuple[float, float]:
    step = WIDTH / max(count, 1)
    return step, max(round(step - GAP, 1), 0.5)


def stacked_days(days: Sequence[dict]) -> dict:
    """One column per day (stats.daily_by_category's rows), one segment per category,
    stacked in the order of Ticket.Category."""
    peak = max((d["total"] for d in days), default=0)
    step, width = _columns(len(days))
    columns = []
    for index, day in enumerate(days):
        top = HEIGHT
        segments = []
        for code in Ticket.Category.values:
            value = day["by_category"][code]
            height = _height(value, peak)
            if not height:
                continue
            top -= height
            segments.append(
                {
                    "category": code,
                    "label": Ticket.Category(code).label,
                    "value": value,
                    "y": round(top, 1),
                    "height": height,
                }
            )
        columns.append(
            {
                "x": round(index * step + GAP / 2, 1),
                "date": day["date"],
                "total": day["total"],
                "by_category": day["by_category"],
                "segments": segments,
            }
        )
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "bar_width": width,
        "columns": columns,
        "peak": peak,
        "total": sum(d["total"] for d in days),
        "first": days[0]["date"] if days else None,
        "last": days[-1]["date"] if days else None,
        "legend": [{"category": c.value, "label": c.label} for c in Ticket.Category],
    }


def week_columns(weeks: Sequence[dict], key: str, count_key: str) -> dict:
    """One column per week (stats.weekly_times' rows) for `key` (hours, or None: no bar),
    with `count_key`, the number of tickets the average is of."""
    values = [w[key] for w in weeks]
    peak = max((v for v in values if v is not None), default=0)
    step, width = _columns(len(weeks))
    bars = []
    for index, (week, value) in enumerate(zip(weeks, values, strict=True)):
        height = _height(value or 0, peak)
        bars.append(
            {
                "x": round(index * step + GAP / 2, 1),
                "y": round(HEIGHT - height, 1),
                "height": height,
                "week": week["week"],
                "iso_week": week["iso_week"],
                "value": value,
                "count": week[count_key],
            }
        )
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "bar_width": width,
        "bars": bars,
        "peak": peak,
        "has_data": any(v is not None for v in values),
        "first": weeks[0]["week"] if weeks else None,
        "last": weeks[-1]["week"] if weeks else None,
    }


def backlog_bars(rows: Sequence[dict]) -> list[dict]:
    """stats.backlog_by_status' rows with their bar lengths (percent of the longest):
    the recent part and the part opened more than 7 days ago."""
    peak = max((r["count"] for r in rows), default=0)
    result = []
    for row in rows:
        old = row["older_than_7_days"]
        recent = row["count"] - old
        recent_width = round(100 * recent / peak, 1) if peak else 0
        old_width = round(100 * old / peak, 1) if peak else 0
        result.append({**row, "recent": recent, "recent_width": recent_width, "old_width": old_width})
    return result
