"""The one place where a deposit's or an influencer's figures move.

Every movement is a `post()`: one append-only LedgerEntry and one conditional UPDATE of
the figures it changes, in the caller's transaction. The UPDATE's WHERE repeats the
invariants (balance ≥ 0, 0 ≤ reserved ≤ balance, earnings ≥ 0), so a movement that
would break one changes nothing and raises `Refused`; the CHECK constraints on the
tables hold them even against code that bypasses this module.

Lock order, to keep concurrent services from deadlocking: the merchant's deposit row
first (`lock_deposit`), then the lead, then its campaigns. Every service that touches a
merchant's money takes the deposit lock before anything else of that merchant.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from core.money import quantize

from . import money
from .models import Campaign, Deposit, InfluencerProfile, LedgerEntry, Level, MerchantProfile

ZERO = Decimal("0.00")


class Refused(Exception):
    """The movement would break an invariant (not enough available, reserved or earnings)."""


def lock_deposit(merchant_id: int) -> Deposit:
    return Deposit.objects.select_for_update().get(merchant_id=merchant_id)


def post(
    *,
    key: str,
    kind: str,
    merchant: MerchantProfile | None = None,
    influencer: InfluencerProfile | None = None,
    balance: Decimal = ZERO,
    reserved: Decimal = ZERO,
    earnings: Decimal = ZERO,
    reason: str = "",
    actor=None,
    **links,
) -> LedgerEntry:
    """Write one movement. `balance`/`reserved` apply to `merchant`'s deposit,
    `earnings` to `influencer`. Raises Refused (nothing written) if an invariant would
    break. `links`: lead=, recharge=, payout=."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger.post() runs inside the caller's transaction")
    balance, reserved, earnings = quantize(balance), quantize(reserved), quantize(earnings)
    if balance or reserved:
        # One conditional statement: the race between two reservations of the last
        # dirhams is decided by the row lock it takes, and the loser matches no row.
        updated = Deposit.objects.filter(
            merchant=merchant,
            balance__gte=-balance,
            reserved__gte=-reserved,
            reserved__lte=F("balance") + (balance - reserved),
        ).update(balance=F("balance") + balance, reserved=F("reserved") + reserved)
        if not updated:
            raise Refused(kind)
    if earnings:
        updated = InfluencerProfile.objects.filter(pk=influencer.pk, earnings__gte=-earnings).update(
            earnings=F("earnings") + earnings
        )
        if not updated:
            raise Refused(kind)
    return LedgerEntry.objects.create(
        key=key,
        kind=kind,
        merchant=merchant,
        influencer=influencer,
        balance_delta=balance,
        reserved_delta=reserved,
        earnings_delta=earnings,
        reason=reason,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        **links,
    )


def level_apply(*, deposit: Deposit) -> Level:
    """Pause the merchant's active campaigns when the deposit is depleted, resume the
    ones it paused when it no longer is. Call with the deposit locked, after a movement."""
    deposit.refresh_from_db(fields=["balance", "reserved", "reference"])
    level = money.level_of(balance=deposit.balance, reserved=deposit.reserved, reference=deposit.reference)
    campaigns = Campaign.objects.filter(merchant_id=deposit.merchant_id)
    if level == Level.DEPLETED:
        campaigns.filter(status=Campaign.Status.ACTIVE).update(status=Campaign.Status.PAUSED, paused_for_deposit=True)
    else:
        campaigns.filter(paused_for_deposit=True).update(status=Campaign.Status.ACTIVE, paused_for_deposit=False)
    return level


# --- the ledger's own sums -------------------------------------------------------------


def _sum(field: str):
    return Coalesce(Sum(field), ZERO)


def merchant_sums(merchant_id: int) -> tuple[Decimal, Decimal]:
    totals = LedgerEntry.objects.filter(merchant_id=merchant_id).aggregate(
        balance=_sum("balance_delta"), reserved=_sum("reserved_delta")
    )
    return totals["balance"], totals["reserved"]


def influencer_sum(influencer_id: int) -> Decimal:
    return LedgerEntry.objects.filter(influencer_id=influencer_id).aggregate(earnings=_sum("earnings_delta"))[
        "earnings"
    ]


def ledger_matches(deposit: Deposit) -> bool:
    return merchant_sums(deposit.merchant_id) == (deposit.balance, deposit.reserved)


def with_ledger_sums(deposits):
    """Deposits annotated with their ledger's sums (`ledger_balance`, `ledger_reserved`)
    and `ledger_ok` (the figures equal them), computed by the database in the same
    query: the admin's "ledger matches" column and filter, and the check below."""
    sums = (
        LedgerEntry.objects.filter(merchant_id=OuterRef("merchant_id"))
        .values("merchant_id")
        .annotate(b=Sum("balance_delta"), r=Sum("reserved_delta"))
    )
    return deposits.annotate(
        ledger_balance=Coalesce(Subquery(sums.values("b")), ZERO),
        ledger_reserved=Coalesce(Subquery(sums.values("r")), ZERO),
    ).annotate(
        ledger_ok=ExpressionWrapper(
            Q(balance=F("ledger_balance"), reserved=F("ledger_reserved")), output_field=BooleanField()
        )
    )


def mismatched_deposits():
    """Deposits whose figures differ from their ledger's sums (should be none), for the
    admin check and the daily report, in one query."""
    return with_ledger_sums(Deposit.objects.all()).filter(ledger_ok=False).select_related("merchant")


def mismatched_influencers():
    """Influencers whose earnings differ from their ledger's sum (should be none)."""
    sums = (
        LedgerEntry.objects.filter(influencer_id=OuterRef("pk"))
        .values("influencer_id")
        .annotate(e=Sum("earnings_delta"))
    )
    return (
        InfluencerProfile.objects.annotate(ledger_earnings=Coalesce(Subquery(sums.values("e")), ZERO))
        .exclude(earnings=F("ledger_earnings"))
        .order_by("pk")
    )
