"""The marketplace's money rules, each in one place: the commission of a lead and its
split, a deposit's level, and the client keys the duplicate check compares.

Rates, cap and thresholds are settings (config/settings/base.py, LEADS_*). Amounts are
Decimal in MAD, rounded half up to the centime by core.money.quantize.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db.models import Case, DecimalField, ExpressionWrapper, F, Q, Value, When

from core.money import Money, quantize  # noqa: F401 - quantize is part of this module's API

from .models import CURRENCY, Level

# Worse levels have higher numbers: the hourly check alerts when a deposit's level is
# above the last one alerted.
SEVERITY = {Level.HEALTHY: 0, Level.ATTENTION: 1, Level.WARNING: 2, Level.CRITICAL: 3, Level.DEPLETED: 4}


@dataclass(frozen=True)
class Commission:
    total: Decimal
    influencer: Decimal
    # "fixed" once the cap applies (estimated value ≥ cap / rate), "percent" below.
    type: str
    currency: str = CURRENCY

    @property
    def platform(self) -> Decimal:
        return self.total - self.influencer

    def as_json(self) -> dict:
        return {"total": str(self.total), "influencer": str(self.influencer), "currency": self.currency}


def amount_parse(value) -> Decimal | None:
    """An amount as people type it ("1 500", "1500,50", 1500) to the centime, or None for
    anything that is not a finite number of a sane size (the caller says which range it
    accepts)."""
    typed = str(value).replace(",", ".")
    for space in (" ", "\u00a0", "\u202f"):
        typed = typed.replace(space, "")
    try:
        amount = Decimal(typed)
        return quantize(amount) if amount.is_finite() and abs(amount) < Decimal("1e18") else None
    except (InvalidOperation, ValueError, TypeError):
        return None


def minimum_value() -> Decimal:
    return Decimal(str(settings.LEADS_MIN_ESTIMATED_VALUE))


def commission_for(estimated_value: Decimal) -> Commission:
    """10 % of the estimated value, capped at 80 dhs; the influencer gets 30 % of it.
    Raises ValueError below the minimum estimated value (10 dhs)."""
    value = quantize(estimated_value)
    if value < minimum_value():
        raise ValueError(f"estimated value below {minimum_value()}")
    cap = quantize(settings.LEADS_COMMISSION_CAP)
    exact = value * Decimal(str(settings.LEADS_COMMISSION_RATE))
    # "fixed" from the value where the cap applies (800 dhs), even though 799.99 rounds to it.
    total, kind = (cap, "fixed") if exact >= cap else (min(quantize(exact), cap), "percent")
    influencer = quantize(total * Decimal(str(settings.LEADS_INFLUENCER_RATE)))
    return Commission(total=total, influencer=influencer, type=kind)


# --- deposit levels -------------------------------------------------------------------


def depleted_below() -> Decimal:
    return quantize(settings.LEADS_DEPLETED_BELOW)


def percent_of(balance: Decimal, reference: Decimal | None) -> Decimal | None:
    """balance ÷ reference in percent, one decimal (3 400 / 5 000 → 68.0); None before
    the first recharge."""
    if reference is None or reference <= 0:
        return None
    return (balance * 100 / reference).quantize(Decimal("0.1"))


def level_of(*, balance: Decimal, reserved: Decimal, reference: Decimal | None) -> Level:
    """The level rule (the hourly check runs the same rule in SQL: `level_expression`)."""
    if balance - reserved < depleted_below():
        return Level.DEPLETED
    if reference is None or reference <= 0:
        return Level.HEALTHY
    ratio = balance * 100 / reference
    thresholds = settings.LEADS_LEVEL_THRESHOLDS
    if ratio > thresholds["attention"]:
        return Level.HEALTHY
    if ratio > thresholds["warning"]:
        return Level.ATTENTION
    if ratio > thresholds["critical"]:
        return Level.WARNING
    return Level.CRITICAL


def level_expression() -> Case:
    """`level_of` as one SQL expression, for set-based queries over deposits annotated
    with `available_amount` and `balance_x100` (see `annotate_level`): compared as
    balance × 100 > threshold × reference, no division, exact decimals."""
    thresholds = settings.LEADS_LEVEL_THRESHOLDS
    money = DecimalField(max_digits=16, decimal_places=2)

    def above(name: str) -> Q:
        return Q(balance_x100__gt=ExpressionWrapper(F("reference") * Value(thresholds[name]), output_field=money))

    return Case(
        When(Q(available_amount__lt=depleted_below()), then=Value(Level.DEPLETED.value)),
        When(Q(reference__isnull=True) | Q(reference__lte=0), then=Value(Level.HEALTHY.value)),
        When(above("attention"), then=Value(Level.HEALTHY.value)),
        When(above("warning"), then=Value(Level.ATTENTION.value)),
        When(above("critical"), then=Value(Level.WARNING.value)),
        default=Value(Level.CRITICAL.value),
    )


def severity_expression(field: str) -> Case:
    return Case(*(When(**{field: level.value}, then=Value(rank)) for level, rank in SEVERITY.items()), default=Value(0))


def annotate_level(queryset):
    """Deposits with `available_amount`, `level` and `level_rank` computed by the database."""
    money = DecimalField(max_digits=16, decimal_places=2)
    return (
        queryset.annotate(
            available_amount=ExpressionWrapper(F("balance") - F("reserved"), output_field=money),
            balance_x100=ExpressionWrapper(F("balance") * 100, output_field=money),
        )
        .annotate(level=level_expression())
        .annotate(level_rank=severity_expression("level"), alerted_rank=severity_expression("last_alert_level"))
    )


def money(amount: Decimal) -> Money:
    return Money(amount, CURRENCY)


# --- client keys for the duplicate check ------------------------------------------------


def email_key(email: str) -> str:
    """Lower case, trimmed; Gmail-style dots and +tags are not stripped (other providers
    treat them as different mailboxes)."""
    return unicodedata.normalize("NFKC", email or "").strip().lower()


def phone_key(phone: str) -> str:
    """Digits only, in international form for Moroccan numbers: "06 12-34 56 78",
    "+212 6 12 34 56 78" and "00212612345678" are the same client."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("00"):
        digits = digits[2:]
    prefix = settings.LEADS_PHONE_COUNTRY_CODE
    if digits.startswith("0") and len(digits) == 10:
        digits = prefix + digits[1:]
    return digits
