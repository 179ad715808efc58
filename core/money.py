"""Money: a Decimal amount always travels with its ISO currency code."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

# Amounts are stored with two decimals in every currency. The franc CFA has no
# subunit: XOF amounts are shown (and entered) in whole francs; others show their
# cents unless they are zero.
CURRENCY_SYMBOLS = {"XOF": "FCFA", "MAD": "dhs", "EUR": "€"}
ZERO_DECIMAL_CURRENCIES = frozenset({"XOF"})
CURRENCY_CHOICES = [("XOF", _("FCFA (XOF)")), ("MAD", _("Dirham (MAD)")), ("EUR", _("Euro (EUR)"))]
CENT = Decimal("0.01")


def quantize(amount: Decimal | int | str) -> Decimal:
    """The one place where amounts are rounded: to the cent, half up."""
    if isinstance(amount, float):
        raise TypeError("Money amounts must not be floats")
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", quantize(self.amount))

    def as_json(self) -> dict[str, str]:
        return {"amount": str(self.amount), "currency": self.currency}

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)


def format_money(amount: Decimal, currency: str) -> str:
    """150000.00 XOF -> '150 000 FCFA'; 99.50 EUR -> '99,50 €' (French grouping, a
    narrow no-break space between groups and before the symbol)."""
    amount = quantize(amount)
    if currency in ZERO_DECIMAL_CURRENCIES:
        amount = amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    whole, _, cents = f"{amount:.2f}".partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = whole.lstrip("-")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = sign + "\u202f".join(groups)
    if cents != "00":
        text += "," + cents
    # No-break: the symbol never starts a line on its own.
    return f"{text}\u00a0{CURRENCY_SYMBOLS.get(currency, currency)}"
