"""Display helpers of the marketplace pages: amounts in dirhams, the deposit ring, ages
and CSS numbers (never localised: "83,3%" is not a CSS width)."""

from __future__ import annotations

import math
from decimal import Decimal

from django import template
from django.utils import formats, timezone
from django.utils.translation import ngettext, pgettext

from core.money import format_money

from ..models import CURRENCY

register = template.Library()

RING_RADIUS = 52
RING_LENGTH = 2 * math.pi * RING_RADIUS


@register.filter
def dhs(amount) -> str:
    """1500 → "1 500 dhs" (core.money.format_money: no-break spaces)."""
    if amount is None or amount == "":
        return "—"
    return format_money(Decimal(amount), CURRENCY)


@register.filter
def signed_dhs(amount) -> str:
    """+2 000 dhs / −80 dhs (a real minus sign); 0 → 0 dhs."""
    amount = Decimal(amount or 0)
    if amount > 0:
        return "+" + format_money(amount, CURRENCY)
    if amount < 0:
        return "\u2212" + format_money(-amount, CURRENCY)
    return format_money(amount, CURRENCY)


def _clamped(percent) -> float:
    return max(0.0, min(100.0, float(percent or 0)))


@register.filter
def css_percent(percent) -> str:
    """A share for a CSS width: "83.3" (dot, within 0..100)."""
    return f"{_clamped(percent):.1f}"


@register.simple_tag
def ring_dash(percent) -> str:
    """stroke-dasharray of the deposit ring: the filled arc, then the rest."""
    filled = RING_LENGTH * _clamped(percent) / 100
    return f"{filled:.2f} {RING_LENGTH:.2f}"


@register.simple_tag
def ring_length() -> str:
    return f"{RING_LENGTH:.2f}"


@register.filter
def percent_label(percent) -> str:
    """68.0 → "68 %", 83.3 → "83,3 %" (no-break space, French decimal comma)."""
    if percent is None:
        return "—"
    value = Decimal(percent).quantize(Decimal("0.1"))
    text = formats.number_format(value, decimal_pos=0 if value == value.to_integral_value() else 1)
    # French writes "68 %" (a no-break space), English "68%".
    return pgettext("percent", "%(value)s %%") % {"value": text}


@register.filter
def age(created_at) -> str:
    """How long ago: "il y a 5 min", "il y a 5 h", "il y a 3 j"."""
    seconds = max(0, int((timezone.now() - created_at).total_seconds()))
    if seconds < 3600:
        minutes = max(1, seconds // 60)
        return ngettext("il y a %(n)d min", "il y a %(n)d min", minutes) % {"n": minutes}
    if seconds < 48 * 3600:
        hours = seconds // 3600
        return ngettext("il y a %(n)d h", "il y a %(n)d h", hours) % {"n": hours}
    days = seconds // 86400
    return ngettext("il y a %(n)d j", "il y a %(n)d j", days) % {"n": days}
