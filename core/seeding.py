"""What an app's `demo.py` returns to `seed_demo`: the items worth trying, each with
what to try on it, and notes (a signed link, activation codes) printed after them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DemoItem:
    number: str  # a tracking number (or another identifier a person types)
    service: str
    state: str
    hint: str  # what to try: "devis à accepter : ouvrez le lien ci-dessous"


@dataclass
class DemoSeed:
    items: list[DemoItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def table(items: list[DemoItem], headers: tuple[str, str, str, str]) -> str:
    """A plain-text table with aligned columns (the terminal's font is monospace)."""
    rows = [headers, *((i.number, i.service, i.state, i.hint) for i in items)]
    widths = [max(len(str(row[col])) for row in rows) for col in range(3)]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + "  " + str(row[3])
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * len(headers[3]))
    return "\n".join(lines)


def demo_password() -> str:
    """The demo accounts' password: DEMO_LEADS_PASSWORD, else "demo1234" on a local demo
    (DEBUG), else a random one (printed by seed_demo)."""
    import os
    import secrets

    from django.conf import settings

    return os.environ.get("DEMO_LEADS_PASSWORD") or ("demo1234" if settings.DEBUG else secrets.token_urlsafe(10))
