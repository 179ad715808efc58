"""The marketplace's scheduled jobs (Celery beat, config/settings/base.py): the hourly
deposit check and reminders, the 23:00 expiry, the 09:00 report. Each is set-based
(statements over all rows, Python only for the few rows that need a message) and
idempotent: a second run finds nothing left to do and tells nobody twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, DecimalField, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import money, notices
from .models import Campaign, Deposit, InfluencerProfile, Lead, LeadEvent, LedgerEntry, Level

# Who hears of each level (cumulative, as the seed's alert card shows).
CHANNELS = {
    Level.ATTENTION: {"dashboard"},
    Level.WARNING: {"dashboard", "email"},
    Level.CRITICAL: {"dashboard", "email", "sms", "whatsapp"},
    Level.DEPLETED: {"dashboard", "email", "sms", "whatsapp"},
}


@dataclass
class CheckResult:
    alerted: dict[str, int] = field(default_factory=dict)
    reset: int = 0
    paused_campaigns: int = 0


# Alerts are sent by tasks, this many deposits each, after the check commits.
ALERT_BATCH = 200


def deposits_check() -> CheckResult:
    """Compute every deposit's level in the database; claim an alert for each deposit
    whose level got worse than the last one alerted, reset the ones back to healthy,
    pause the campaigns of depleted deposits. The alerts themselves (notification,
    e-mail, SMS, WhatsApp) are sent after commit by `leads.send_deposit_alerts` tasks,
    keyed so that each is sent once whoever runs it."""
    from .tasks import send_deposit_alerts

    result = CheckResult()
    levelled = money.annotate_level(Deposit.objects.all())
    with transaction.atomic():
        # Every deposit this run changes is locked first, in one statement and in pk
        # order, as the nightly expiry locks its deposits: the two jobs (both due at
        # 23:00) and the services, which lock one deposit each, cannot deadlock. Locked
        # too so that a concurrent check (a manual run beside beat's) waits and then finds
        # them already alerted.
        changing = levelled.filter(
            Q(level_rank__gt=F("alerted_rank")) | Q(level=Level.HEALTHY) & ~Q(last_alert_level=Level.HEALTHY)
        )
        locked = list(
            changing.select_for_update(of=("self",))
            .order_by("pk")
            .values_list("pk", "level", "alert_cycle", "last_alert_level")
        )
        # Back to healthy: a new cycle, so the next fall alerts again.
        back = [pk for pk, level, _cycle, alerted in locked if level == Level.HEALTHY and alerted != Level.HEALTHY]
        result.reset = Deposit.objects.filter(pk__in=back).update(
            last_alert_level=Level.HEALTHY, alert_cycle=F("alert_cycle") + 1
        )
        rank = money.SEVERITY
        worse = [
            (pk, level, cycle) for pk, level, cycle, alerted in locked if rank[Level(level)] > rank[Level(alerted)]
        ]
        for level in (Level.ATTENTION, Level.WARNING, Level.CRITICAL, Level.DEPLETED):
            ids = [pk for pk, worse_level, _cycle in worse if worse_level == level]
            if ids:
                Deposit.objects.filter(pk__in=ids).update(last_alert_level=level)
                result.alerted[level] = len(ids)
        result.paused_campaigns = Campaign.objects.filter(
            status=Campaign.Status.ACTIVE,
            merchant_id__in=levelled.filter(level=Level.DEPLETED).values("merchant_id"),
        ).update(status=Campaign.Status.PAUSED, paused_for_deposit=True)
        for start in range(0, len(worse), ALERT_BATCH):
            batch = [list(row) for row in worse[start : start + ALERT_BATCH]]
            transaction.on_commit(lambda batch=batch: send_deposit_alerts.delay(batch), robust=True)
    return result


def deposit_alerts_send(*, alerts: list[list]) -> int:
    """Send the alerts the check claimed: [deposit id, level, cycle] each. Safe to run
    twice (each notice is keyed on deposit, cycle and level)."""
    deposits = Deposit.objects.select_related("merchant__user").in_bulk([pk for pk, _level, _cycle in alerts])
    for pk, level, cycle in alerts:
        deposit = deposits.get(pk)
        if deposit is None:
            continue
        with transaction.atomic():
            notices.deposit_alert(
                deposit=deposit,
                level=level,
                cycle=cycle,
                percent=money.percent_of(deposit.balance, deposit.reference),
                channels=CHANNELS[Level(level)],
            )
    return len(alerts)


def leads_remind(*, now: datetime | None = None) -> int:
    """Remind merchants of leads pending for LEADS_REMIND_HOURS, once per lead."""
    now = now or timezone.now()
    due = Lead.objects.filter(
        status=Lead.Status.PENDING,
        reminded_at__isnull=True,
        created_at__lte=now - timedelta(hours=settings.LEADS_REMIND_HOURS),
    )
    with transaction.atomic():
        # Claimed by the UPDATE: a concurrent run reminds none of these again.
        claimed = list(due.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True)[:5000])
        Lead.objects.filter(pk__in=claimed).update(reminded_at=now)
    # The claim is committed and the leads free again (a merchant validating one does not
    # wait for the batch); each reminder is then queued in its own short transaction.
    for lead in Lead.objects.filter(pk__in=claimed).select_related("merchant__user", "influencer", "campaign"):
        with transaction.atomic():
            notices.lead_reminder(lead)
    return len(claimed)


# The expiry's writes. Each lead's expiry is a history row; the reservations it frees
# are one ledger row per merchant and run ("Leads expirés : 37", keyed on the merchant
# and the run), not one per lead: at 100 000 leads, per-lead rows (and their keys,
# indexes and foreign-key checks) tripled the job's time. A lead releases exactly once
# all the same: its own UPDATE from pending, in the transaction that writes the row.
# PostgreSQL runs it all as one statement (data-modifying CTEs: the expired rows are read
# once, from the UPDATE's RETURNING); other databases (the demo's SQLite) run the same
# writes one by one, finding the rows just expired by resolved_at.
_EXPIRE_POSTGRESQL = """
WITH expired AS (
    UPDATE leads_lead SET status = 'expired', resolved_at = %(now)s
    WHERE status = 'pending' AND created_at < %(cutoff)s
    RETURNING id, merchant_id, influencer_id, commission, currency
), per_merchant AS (
    SELECT merchant_id, currency, SUM(commission) AS total, COUNT(*) AS n FROM expired GROUP BY merchant_id, currency
), releases AS (
    INSERT INTO leads_ledgerentry
        (key, kind, merchant_id, balance_delta, reserved_delta, earnings_delta, currency, reason, created_at)
    SELECT 'expiry:' || merchant_id || ':' || %(run)s, 'release', merchant_id, 0, -total, 0, currency,
        %(reason)s || n, %(now)s
    FROM per_merchant
), events AS (
    INSERT INTO leads_leadevent (lead_id, from_status, to_status, note, created_at)
    SELECT id, 'pending', 'expired', '', %(now)s FROM expired
), deposits AS (
    UPDATE leads_deposit AS d SET reserved = d.reserved - t.total FROM per_merchant AS t
    WHERE d.merchant_id = t.merchant_id
)
SELECT influencer_id, count(*) FROM expired GROUP BY influencer_id
"""
_INSERT_RELEASES = """
INSERT INTO leads_ledgerentry
    (key, kind, merchant_id, balance_delta, reserved_delta, earnings_delta, currency, reason, created_at)
SELECT 'expiry:' || merchant_id || ':' || %s, 'release', merchant_id, 0, -SUM(commission), 0, currency,
    %s || COUNT(*), %s
FROM leads_lead WHERE status = 'expired' AND resolved_at = %s GROUP BY merchant_id, currency
"""
_INSERT_EVENTS = """
INSERT INTO leads_leadevent (lead_id, from_status, to_status, note, created_at)
SELECT id, 'pending', 'expired', '', %s FROM leads_lead WHERE status = 'expired' AND resolved_at = %s
"""


def leads_expire(*, now: datetime | None = None) -> int:
    """Pending leads older than LEADS_EXPIRE_HOURS become expired and release their
    reservations: a handful of statements whatever the number of leads. Rows are kept
    (staff may still settle a dispute); each influencer gets one summary notification."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.LEADS_EXPIRE_HOURS)
    stale = Lead.objects.filter(status=Lead.Status.PENDING, created_at__lt=cutoff)
    expired = Lead.objects.filter(status=Lead.Status.EXPIRED, resolved_at=now)
    with transaction.atomic():
        # The deposits first, as every service does (leads.ledger's lock order).
        merchants = stale.values("merchant_id")
        list(Deposit.objects.filter(merchant_id__in=merchants).order_by("pk").select_for_update().values_list("pk"))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    _EXPIRE_POSTGRESQL,
                    {"now": now, "cutoff": cutoff, "run": now.isoformat(), "reason": _expiry_reason()},
                )
                per_influencer = dict(cursor.fetchall())
        else:
            per_influencer = _expire_one_by_one(stale, expired, now=now)
        count = sum(per_influencer.values())
        if not count:
            return 0
        # Released money may lift a deposit out of depletion: its paused campaigns resume
        # (few: only depleted merchants have campaigns paused for their deposit).
        paused = Deposit.objects.filter(merchant__campaigns__paused_for_deposit=True).distinct()
        lifted = money.annotate_level(paused).exclude(level=Level.DEPLETED).values("merchant_id")
        Campaign.objects.filter(paused_for_deposit=True, merchant_id__in=lifted).update(
            status=Campaign.Status.ACTIVE, paused_for_deposit=False
        )
        _notify_expired(per_influencer, day=timezone.localdate(now))
    return count


def _expiry_reason() -> str:
    # Stored in the site's language, as staff's own reasons are.
    with translation.override(settings.LANGUAGE_CODE):
        return _("Leads expirés : ")


def _expire_one_by_one(stale, expired, *, now: datetime) -> dict[int, int]:
    """The expiry's writes statement by statement; {influencer id: leads expired}."""
    if not stale.update(status=Lead.Status.EXPIRED, resolved_at=now):
        return {}
    # Raw statements get the timestamp as the ORM stores it (SQLite keeps text).
    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_RELEASES, [now.isoformat(), _expiry_reason(), stamp, stamp])
        cursor.execute(_INSERT_EVENTS, [stamp, stamp])
    totals = expired.filter(merchant_id=OuterRef("merchant_id")).values("merchant_id").annotate(total=Sum("commission"))
    Deposit.objects.filter(merchant_id__in=expired.values("merchant_id")).update(
        reserved=F("reserved")
        - Subquery(totals.values("total"), output_field=DecimalField(max_digits=12, decimal_places=2))
    )
    return dict(expired.values("influencer_id").annotate(n=Count("pk")).order_by().values_list("influencer_id", "n"))


def _notify_expired(per_influencer: dict[int, int], *, day) -> None:
    """One summary notification per influencer and night."""
    from notifications import counts
    from notifications.models import Notification
    from tracking.notes import Note, stored

    users = dict(InfluencerProfile.objects.filter(pk__in=list(per_influencer)).values_list("pk", "user_id"))
    rows = []
    for influencer_id, n in per_influencer.items():
        text, key, params = stored(Note("leads.leads_expired", {"count": n}))
        rows.append(
            Notification(
                user_id=users[influencer_id],
                kind="leads_expired",
                text=text,
                message_key=key,
                params=params,
                link="/leads/influencer/#leads",
                key=f"leads-expired:{day.isoformat()}:{influencer_id}",
            )
        )
    Notification.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    # The bells' cached counts: one global version bump beats thousands of per-user ones.
    if len(rows) > 100:
        transaction.on_commit(counts.changed_for_everyone)
    else:
        for row in rows:
            counts.changed(row.user_id)


# --- the daily report ------------------------------------------------------------------------


def _day_bounds(day) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


def report_figures(*, day) -> dict:
    start, end = _day_bounds(day)
    events = LeadEvent.objects.filter(created_at__gte=start, created_at__lt=end)
    by_status = dict(events.values_list("to_status").annotate(n=Count("pk")).order_by())
    entries = LedgerEntry.objects.filter(created_at__gte=start, created_at__lt=end)
    zero = money.quantize(0)
    sums = entries.aggregate(
        commissions=Coalesce(Sum("balance_delta", filter=Q(kind="deduction")), zero),
        recharges=Coalesce(Sum("balance_delta", filter=Q(kind="recharge")), zero),
        recharge_count=Count("pk", filter=Q(kind="recharge")),
    )
    levels = dict(money.annotate_level(Deposit.objects.all()).values_list("level").annotate(n=Count("pk")).order_by())
    return {
        "created": by_status.get(Lead.Status.PENDING, 0),
        "validated": by_status.get(Lead.Status.VALIDATED, 0),
        "rejected": by_status.get(Lead.Status.REJECTED, 0),
        "expired": by_status.get(Lead.Status.EXPIRED, 0),
        "commissions": -sums["commissions"],
        "recharges": sums["recharges"],
        "recharge_count": sums["recharge_count"],
        "levels": {level.value: levels.get(level.value, 0) for level in Level},
    }


def daily_report(*, today=None) -> dict:
    """Yesterday's figures (in TIME_ZONE) e-mailed to staff, once per day."""
    today = today or timezone.localdate()
    day = today - timedelta(days=1)
    figures = report_figures(day=day)
    with translation.override(settings.LANGUAGE_CODE):
        rows = [
            (_("Leads créés"), figures["created"]),
            (_("Leads validés"), figures["validated"]),
            (_("Leads rejetés"), figures["rejected"]),
            (_("Leads expirés"), figures["expired"]),
            (_("Commissions prélevées"), str(money.money(figures["commissions"]))),
            (_("Recharges (%(count)s)") % {"count": figures["recharge_count"]}, str(money.money(figures["recharges"]))),
            *((_("Marchands · %(level)s") % {"level": level.label}, figures["levels"][level.value]) for level in Level),
        ]
        notices.staff_alert(
            key=f"leads-report:{day.isoformat()}",
            subject=_("Rapport leads du %(day)s") % {"day": day.strftime("%d/%m/%Y")},
            lines=[_("Les chiffres de la journée d'hier sur la place de marché des leads.")],
            rows=rows,
            url=settings.SITE_URL.rstrip("/") + "/" + settings.ADMIN_URL + "leads/lead/",
        )
    return figures
