"""Tracking numbers: PREFIX-YYYY-XXXX-XXXX.

The 8 symbols are Crockford base32 (no I, L, O, U): 7 random symbols from the OS
CSPRNG and 1 check symbol.

The check symbol makes the weighted sum of every symbol (prefix letters, year digits,
the 8 symbols) zero in GF(32), with weights that are distinct powers of a primitive
element (a Horner evaluation with multiplier x). Distinct non-zero weights catch any
single wrong symbol (w·e ≠ 0 for e ≠ 0) and any swap of two adjacent symbols
((w_i − w_j)(a − b) ≠ 0 when a ≠ b) – something no check modulo 32 can do, because
in Z/32 the difference of two odd weights is even. Folding the prefix and year in
means a valid body cannot be moved to another service or year.
"""

from __future__ import annotations

import re
import secrets

from core.crockford import ALPHABET, TYPOS

_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_SEPARATORS = re.compile(r"[\s\-_./]+")
_COMPACT = re.compile(r"^([A-Z]{2,5})([0-9]{4})([0-9A-Z]{8})$")
RANDOM_SYMBOLS = 7
_POLY = 0b100101  # x^5 + x^2 + 1, primitive over GF(2)


def _times_x(value: int) -> int:
    value <<= 1
    if value & 0b100000:
        value ^= _POLY
    return value


def _symbol_values(prefix: str, year: str, symbols: str) -> list[int]:
    # Prefix letters A..Z map to 1..26, year digits to 0..9, body to its base32 value.
    return [ord(c) - 64 for c in prefix] + [int(d) for d in year] + [_VALUE[c] for c in symbols]


def _horner(values: list[int]) -> int:
    acc = 0
    for v in values:
        acc = _times_x(acc) ^ v
    return acc


def check_symbol(prefix: str, year: str, body: str) -> str:
    """The symbol that makes the whole number's GF(32) sum zero."""
    return ALPHABET[_times_x(_horner(_symbol_values(prefix, year, body)))]


def is_valid(prefix: str, year: str, symbols: str) -> bool:
    return _horner(_symbol_values(prefix, year, symbols)) == 0


def format_number(prefix: str, year: str, symbols: str) -> str:
    return f"{prefix}-{year}-{symbols[:4]}-{symbols[4:]}"


def generate(prefix: str, year: int) -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_SYMBOLS))
    return format_number(prefix, str(year), body + check_symbol(prefix, str(year), body))


def normalize(raw: str) -> str | None:
    """Canonical form of what a customer typed, or None if it cannot be a valid number.

    Case-insensitive; spaces, dashes and dots anywhere; I/L typed for 1 and O for 0 in
    the year and the symbols (not in the prefix, where LOC must stay LOC).
    """
    if not raw or len(raw) > 64:
        return None
    compact = _SEPARATORS.sub("", raw).upper()
    if len(compact) < 14:
        return None
    prefix, rest = compact[:-12], compact[-12:].translate(TYPOS)
    match = _COMPACT.match(prefix + rest)
    if not match:
        return None
    prefix, year, symbols = match.groups()
    if any(c not in _VALUE for c in symbols) or not is_valid(prefix, year, symbols):
        return None
    return format_number(prefix, year, symbols)


def prefix_of(number: str) -> str:
    return number.split("-", 1)[0]
