"""Read-only license queries: what an online validation reads, the admin API's list,
and the statistics shown on the staff page (/licenses/stats/), in its CSV export and by
the admin API.

`license_stats()` runs a fixed number of queries (six) whatever the data size: one
aggregate over licenses, one GROUP BY per breakdown, one per daily series.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.db import PreparedQuery

from .models import PAID_TYPES, STATE_COLUMNS, License, LicenseEvent, LicenseType

STATS_DAYS = 30
ACTIVE_MACHINE_DAYS = 7
IN_USE_DAYS = 30


@dataclass(frozen=True)
class LicenseState:
    """What answering a validation needs of a license (and its product's renewal URL)."""

    pk: int
    machine_id: str
    license_type: str
    license_key: str
    email: str
    expires_at: datetime | None
    is_revoked: bool
    renewal_url: str

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


def _state_queryset(license_id: int):
    return License.objects.filter(pk=license_id).values_list(*STATE_COLUMNS)


# Compiled once per process: on the validate hot path the ORM's compilation costs more
# than the query itself (core.db.PreparedQuery).
_STATE_QUERY = PreparedQuery(_state_queryset, -1)


def license_state(*, license_id: int) -> LicenseState | None:
    """The license with this id, in one indexed SELECT (joined to its product). Read at a
    validation whose license this process does not remember (licenses.state_cache)."""
    if connection.vendor == "postgresql":
        rows = _STATE_QUERY.objects(license_id)
    else:  # the demo's SQLite
        rows = list(_state_queryset(license_id)[:1])
    return LicenseState(*rows[0]) if rows else None


STATUS_LABELS = {"active": _("Active"), "expired": _("Expirée"), "revoked": _("Révoquée")}


def status_q(status: str, now: datetime | None = None) -> Q:
    """The filter matching `License.status` (active / expired / revoked) in SQL."""
    now = now or timezone.now()
    expired = Q(expires_at__isnull=False, expires_at__lte=now)
    if status == "revoked":
        return Q(is_revoked=True)
    if status == "expired":
        return Q(is_revoked=False) & expired
    if status == "active":
        return Q(is_revoked=False) & ~expired
    raise ValueError(f"Unknown license status {status!r}")


def license_list(
    *,
    license_type: str | None = None,
    status: str | None = None,
    product: str | None = None,
    email: str | None = None,
) -> QuerySet[License]:
    """Licenses for the admin API list, newest first, filtered on what was given."""
    qs = License.objects.select_related("product").order_by("-created_at", "-pk")
    if license_type:
        qs = qs.filter(license_type=license_type)
    if status:
        qs = qs.filter(status_q(status))
    if product:
        qs = qs.filter(product__slug=product)
    if email:
        qs = qs.filter(email__iexact=email.strip())
    return qs


@dataclass(frozen=True)
class Bucket:
    """One counted category: `key` is the raw value (CSV, API), `label` is for people."""

    key: str
    label: str
    value: int


@dataclass(frozen=True)
class LicenseStats:
    now: datetime
    total: int
    by_type: list[Bucket]
    by_status: list[Bucket]
    by_product: list[Bucket]
    trials_per_day: list[tuple[date, int]]
    validations_per_day: list[tuple[date, int]]
    trials: int
    converted: int
    active_machines: int
    app_versions: list[Bucket]
    os_info: list[Bucket]

    @property
    def conversion_rate(self) -> float | None:
        """Percentage of trials now on a paid license, one decimal; None without trials."""
        if not self.trials:
            return None
        return round(100 * self.converted / self.trials, 1)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _daily(qs: QuerySet, field_name: str, days: list[date]) -> list[tuple[date, int]]:
    """Rows per local day (the project's time zone), zero-filled over `days`."""
    rows = (
        qs.filter(**{f"{field_name}__gte": _day_start(days[0])})
        .annotate(day=TruncDate(field_name))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    counts = dict(rows)
    return [(day, counts.get(day, 0)) for day in days]


def _breakdown(qs: QuerySet, field_name: str) -> list[Bucket]:
    rows = qs.values(field_name).annotate(n=Count("id")).order_by("-n", field_name).values_list(field_name, "n")
    return [Bucket(key or "", key or str(_("(inconnu)")), n) for key, n in rows]


def license_stats(*, now: datetime | None = None, days: int = STATS_DAYS) -> LicenseStats:
    now = now or timezone.now()
    today = timezone.localdate(now)
    day_list = [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]

    # 1 query: totals per type and status, trial conversion, active machines.
    totals = License.objects.aggregate(
        total=Count("id"),
        **{f"type_{t.value}": Count("id", filter=Q(license_type=t.value)) for t in LicenseType},
        **{f"status_{key}": Count("id", filter=status_q(key, now)) for key in STATUS_LABELS},
        trials=Count("id", filter=Q(trial_started_at__isnull=False)),
        converted=Count("id", filter=Q(trial_started_at__isnull=False, license_type__in=PAID_TYPES)),
        active_machines=Count(
            "machine_id", distinct=True, filter=Q(last_heartbeat_at__gte=now - timedelta(days=ACTIVE_MACHINE_DAYS))
        ),
    )
    # 1 query.
    by_product = [
        Bucket(slug, name, n)
        for slug, name, n in License.objects.values("product__slug", "product__name")
        .annotate(n=Count("id"))
        .order_by("-n", "product__slug")
        .values_list("product__slug", "product__name", "n")
    ]
    # 2 queries.
    trials_per_day = _daily(License.objects.filter(trial_started_at__isnull=False), "trial_started_at", day_list)
    validations_per_day = _daily(
        LicenseEvent.objects.filter(action=LicenseEvent.Action.VALIDATED), "created_at", day_list
    )
    # 2 queries: what the machines seen recently run.
    in_use = License.objects.filter(last_heartbeat_at__gte=now - timedelta(days=IN_USE_DAYS))

    return LicenseStats(
        now=now,
        total=totals["total"],
        by_type=[Bucket(t.value, str(t.label), totals[f"type_{t.value}"]) for t in LicenseType],
        by_status=[Bucket(key, str(label), totals[f"status_{key}"]) for key, label in STATUS_LABELS.items()],
        by_product=by_product,
        trials_per_day=trials_per_day,
        validations_per_day=validations_per_day,
        trials=totals["trials"],
        converted=totals["converted"],
        active_machines=totals["active_machines"],
        app_versions=_breakdown(in_use, "app_version"),
        os_info=_breakdown(in_use, "os_info"),
    )


def stats_rows(stats: LicenseStats) -> list[tuple[str, str, int | float | str]]:
    """The figures as (metric, key, value) rows: the CSV export's body."""
    rows: list[tuple[str, str, int | float | str]] = [("licenses_total", "", stats.total)]
    rows += [("licenses_by_type", b.key, b.value) for b in stats.by_type]
    rows += [("licenses_by_status", b.key, b.value) for b in stats.by_status]
    rows += [("licenses_by_product", b.key, b.value) for b in stats.by_product]
    rows += [("trials_per_day", day.isoformat(), n) for day, n in stats.trials_per_day]
    rows += [
        ("trial_conversion", "trials", stats.trials),
        ("trial_conversion", "converted", stats.converted),
        ("trial_conversion", "rate_percent", "" if stats.conversion_rate is None else stats.conversion_rate),
    ]
    rows += [("validations_per_day", day.isoformat(), n) for day, n in stats.validations_per_day]
    rows.append((f"active_machines_{ACTIVE_MACHINE_DAYS}d", "", stats.active_machines))
    rows += [(f"app_versions_{IN_USE_DAYS}d", b.key, b.value) for b in stats.app_versions]
    rows += [(f"os_{IN_USE_DAYS}d", b.key, b.value) for b in stats.os_info]
    return rows


def license_stats_json(*, now: datetime | None = None) -> dict:
    """The same figures for the admin API (GET /api/v1/admin/stats)."""
    stats = license_stats(now=now)
    return {
        "total": stats.total,
        "by_type": {b.key: b.value for b in stats.by_type},
        "by_status": {b.key: b.value for b in stats.by_status},
        "by_product": {b.key: b.value for b in stats.by_product},
        "trials_per_day": [{"date": day.isoformat(), "count": n} for day, n in stats.trials_per_day],
        "validations_per_day": [{"date": day.isoformat(), "count": n} for day, n in stats.validations_per_day],
        "conversion": {"trials": stats.trials, "converted": stats.converted, "rate_percent": stats.conversion_rate},
        "active_machines_7d": stats.active_machines,
        "app_versions_30d": {b.key: b.value for b in stats.app_versions},
        "os_30d": {b.key: b.value for b in stats.os_info},
    }
