"""Masking of contact details typed into free text that the public can read.

A tracking number is enough to open a tracking page, so anything a customer typed
there (a problem description, a pickup place, later ticket messages) is shown with
e-mail addresses and phone numbers masked: `jean.dupont@example.com` becomes
`j***@e***.com` and `+221 77 123 45 67` becomes `+221 77 *** ** 67`, in the style
of the masked plate (first and last characters only).

A phone here is 8 to 15 digits with optional spaces, dots, dashes or parentheses,
optionally after `+` or `00`, not a date and not followed by a currency or unit. So
years, mileages, amounts and dates stay readable (`2020`, `45000 km`, `95 000 FCFA`,
`15 000 000 F`, `12/05/2024`, `2024-05-12`). A large amount typed without its
currency, or a part reference of 8 digits or more, is masked: a phone written in
groups looks the same, and hiding a reference is the better mistake.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-]+)@([\w-]+(?:\.[\w-]+)*)\.([A-Za-z]{2,24})(?![\w-])")

# A run of digits and separators that starts and ends with a digit; the digit count is
# checked afterwards so one regex does not need to encode every national format.
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d(?:[\d \u00a0\u202f.()-]*\d)?(?![\w])")

# After the number: a currency, a unit or a percentage means it is not a phone.
_UNIT_AFTER = re.compile(
    r"\s*(?:(?:fcfa|cfa|f|xof|xaf|mad|dhs?|dirhams?|eur|euros?|usd|km|kms|kilom\w*|m|kg|l|cc|cv|ch|ans?)\b|[€$%])",
    re.IGNORECASE,
)
# Before the number: a currency symbol or code.
_UNIT_BEFORE = re.compile(r"(?:€|\$|eur|usd|xof|mad)\s*$", re.IGNORECASE)
# Day-month-year or year-month-day with one separator kind: 12.05.2024, 2024-05-12.
_DATE = re.compile(r"^(?:\d{1,2}([ ./-])\d{1,2}\1\d{2,4}|\d{4}([ ./-])\d{1,2}\2\d{1,2})$")

MIN_PHONE_DIGITS = 8
MAX_PHONE_DIGITS = 15

# What every phone the pattern above can match contains: MIN_PHONE_DIGITS digits with
# only its separators between them. Text without it, and without "@", has nothing to
# mask: most of what the public pages show (names, car models, notes) is answered by
# this one search instead of a substitution per number in the text.
_MAYBE_PHONE = re.compile(rf"\d(?:[ \u00a0\u202f.()-]*\d){{{MIN_PHONE_DIGITS - 1}}}")


def mask_email(local: str, domain: str, tld: str) -> str:
    return f"{local[0]}***@{domain[0]}***.{tld}"


def mask_phone(text: str) -> str:
    """Keep the first digits (country code and operator prefix) and the last two;
    every masked digit becomes `*`, separators stay so the shape is recognisable."""
    digits = sum(c.isdigit() for c in text)
    international = text.startswith(("+", "00"))
    keep_start = max(2, digits - 7) if international else 2
    keep_end = 2
    seen = 0
    out = []
    for char in text:
        if char.isdigit():
            seen += 1
            out.append(char if seen <= keep_start or seen > digits - keep_end else "*")
        else:
            out.append(char)
    return "".join(out)


def _looks_like_phone(match: re.Match, text: str) -> bool:
    candidate = match.group(0)
    digits = sum(c.isdigit() for c in candidate)
    if not MIN_PHONE_DIGITS <= digits <= MAX_PHONE_DIGITS:
        return False
    # A large amount typed without its currency ("15 000 000") is masked: better a
    # hidden amount than a visible phone written in groups of three ("771 234 567").
    if _DATE.match(candidate):
        return False
    return not (_UNIT_AFTER.match(text, match.end()) or _UNIT_BEFORE.search(text, 0, match.start()))


def mask_contacts(text: str) -> str:
    """`text` with e-mail addresses and phone numbers masked; everything else as typed."""
    if not text or ("@" not in text and not _MAYBE_PHONE.search(text)):
        return text
    return _mask(text)


def _mask(text: str) -> str:
    text = _EMAIL.sub(lambda m: mask_email(m.group(1), m.group(2), m.group(3)), text)

    def phone(match: re.Match) -> str:
        return mask_phone(match.group(0)) if _looks_like_phone(match, text) else match.group(0)

    return _PHONE.sub(phone, text)
