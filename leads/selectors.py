"""Reads of the marketplace, shared by the dashboards, the JSON API and the admin.
Every read is scoped to its owner (a merchant's leads, an influencer's leads): callers
pass the profile of the logged-in user, never an id from the request alone."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import money
from .models import (
    CURRENCY,
    Campaign,
    Deposit,
    InfluencerProfile,
    Lead,
    LedgerEntry,
    Level,
    MerchantProfile,
    Payout,
    Receipt,
    Recharge,
)

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class DepositSummary:
    balance: Decimal
    reserved: Decimal
    available: Decimal
    reference: Decimal | None
    percent: Decimal | None
    level: Level
    currency: str = CURRENCY

    @property
    def level_label(self) -> str:
        return str(Level(self.level).label)

    def as_json(self) -> dict:
        return {
            "balance": str(self.balance),
            "reserved": str(self.reserved),
            "available": str(self.available),
            "reference": str(self.reference) if self.reference is not None else None,
            "percent": float(self.percent) if self.percent is not None else None,
            "level": str(self.level),
            "currency": self.currency,
        }


def deposit_summary(*, deposit: Deposit) -> DepositSummary:
    return DepositSummary(
        balance=deposit.balance,
        reserved=deposit.reserved,
        available=deposit.balance - deposit.reserved,
        reference=deposit.reference,
        percent=money.percent_of(deposit.balance, deposit.reference),
        level=money.level_of(balance=deposit.balance, reserved=deposit.reserved, reference=deposit.reference),
    )


def merchant_deposit(*, merchant: MerchantProfile) -> DepositSummary:
    return deposit_summary(deposit=Deposit.objects.get(merchant=merchant))


# --- leads -----------------------------------------------------------------------------------


def lead_list(
    *, merchant: MerchantProfile | None = None, influencer: InfluencerProfile | None = None, status: str = ""
) -> QuerySet[Lead]:
    """The leads of one merchant or of one influencer (exactly one of them), newest first."""
    if (merchant is None) == (influencer is None):
        raise ValueError("lead_list() reads the leads of one merchant or of one influencer")
    leads = Lead.objects.filter(merchant=merchant) if merchant else Lead.objects.filter(influencer=influencer)
    if status:
        leads = leads.filter(status=status)
    return leads.select_related("campaign", "influencer").order_by("-created_at", "-pk")


def pending_leads(*, merchant: MerchantProfile) -> QuerySet[Lead]:
    return lead_list(merchant=merchant, status=Lead.Status.PENDING)


def pending_totals(*, merchant: MerchantProfile) -> dict:
    return Lead.objects.filter(merchant=merchant, status=Lead.Status.PENDING).aggregate(
        count=Count("pk"), commission=Coalesce(Sum("commission"), ZERO)
    )


def lead_age_hours(lead: Lead) -> int:
    return int((timezone.now() - lead.created_at).total_seconds() // 3600)


def influencer_stats(*, influencer: InfluencerProfile) -> dict:
    """Counts by status, validation rate (validated ÷ resolved), commissions earned and
    the earnings available for a payout, in two queries."""
    counts = Lead.objects.filter(influencer=influencer).aggregate(
        total=Count("pk"),
        **{status.value: Count("pk", filter=Q(status=status)) for status in Lead.Status},
        earned=Coalesce(Sum("influencer_share", filter=Q(status=Lead.Status.VALIDATED)), ZERO),
    )
    resolved = counts["validated"] + counts["rejected"] + counts["expired"]
    rate = (Decimal(counts["validated"]) * 100 / resolved).quantize(Decimal("0.1")) if resolved else None
    available = InfluencerProfile.objects.values_list("earnings", flat=True).get(pk=influencer.pk)
    total = counts["total"]
    return {
        "total": total,
        "by_status": {status.value: counts[status.value] for status in Lead.Status},
        "shares": {
            status.value: (Decimal(counts[status.value]) * 100 / total).quantize(Decimal("0.1")) if total else ZERO
            for status in Lead.Status
        },
        "validation_rate": rate,
        "commissions_earned": counts["earned"],
        "available_earnings": available,
        "currency": CURRENCY,
    }


# --- campaigns -------------------------------------------------------------------------------


def campaign_list(*, merchant: MerchantProfile) -> QuerySet[Campaign]:
    return (
        Campaign.objects.filter(merchant=merchant)
        .annotate(lead_count=Count("leads"), pending_count=Count("leads", filter=Q(leads__status=Lead.Status.PENDING)))
        .order_by("name")
    )


def active_campaigns() -> QuerySet[Campaign]:
    """What influencers may bring leads to."""
    return (
        Campaign.objects.filter(status=Campaign.Status.ACTIVE)
        .select_related("merchant")
        .order_by("merchant__company_name", "name")
    )


# --- money -----------------------------------------------------------------------------------


def ledger_for(*, merchant: MerchantProfile | None = None, influencer: InfluencerProfile | None = None):
    if (merchant is None) == (influencer is None):
        raise ValueError("ledger_for() reads the ledger of one merchant or of one influencer")
    entries = (
        LedgerEntry.objects.filter(merchant=merchant) if merchant else LedgerEntry.objects.filter(influencer=influencer)
    )
    return entries.select_related("lead", "recharge", "payout").order_by("-created_at", "-pk")


def recharge_for(*, merchant: MerchantProfile, recharge_id: int) -> Recharge | None:
    return Recharge.objects.filter(merchant=merchant, pk=recharge_id).select_related("receipt").first()


def receipts_for(*, merchant: MerchantProfile) -> QuerySet[Receipt]:
    return Receipt.objects.filter(merchant=merchant).select_related("recharge").order_by("-issued_at")


def payouts_for(*, influencer: InfluencerProfile) -> QuerySet[Payout]:
    return Payout.objects.filter(influencer=influencer).order_by("-created_at")


CSV_HEADER = [
    "date",
    "type",
    "balance_delta",
    "reserved_delta",
    "earnings_delta",
    "currency",
    "lead",
    "reference",
    "reason",
]


def ledger_csv(entries: Iterable[LedgerEntry]) -> Iterator[str]:
    """The ledger as CSV lines (UTF-8 with a BOM first, so spreadsheets read the accents),
    amounts with a dot, dates in ISO 8601."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return value

    yield "\ufeff"
    writer.writerow(CSV_HEADER)
    yield flush()
    for entry in entries:
        writer.writerow(
            [
                timezone.localtime(entry.created_at).isoformat(timespec="seconds"),
                entry.get_kind_display(),
                entry.balance_delta,
                entry.reserved_delta,
                entry.earnings_delta,
                entry.currency,
                entry.lead_id or "",
                _csv_safe(entry.recharge.external_reference) if entry.recharge_id else (entry.payout_id or ""),
                _csv_safe(entry.reason),
            ]
        )
        yield flush()


def _csv_safe(text: str) -> str:
    # A cell starting with = + - @ is a formula to a spreadsheet (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
