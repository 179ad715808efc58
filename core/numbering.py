"""Gapless document numbers (receipts, invoices): a counter row per series, locked in
the transaction that creates the document. Never MAX()+1 (two transactions read the
same maximum) and never a database sequence (a rolled back transaction burns its
number, leaving a gap an accountant must explain)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from .models import NumberSeries


def number_next(*, series: str) -> int:
    """The next number of `series` (1, 2, 3...), reserved until the caller's transaction
    ends: committed with the document, given back if it rolls back."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("number_next() must run in the transaction that creates the document")
    if not NumberSeries.objects.filter(name=series).exists():
        # The first document of a series (a new year): two transactions may both try to
        # create the row; the loser's savepoint rolls back and it uses the winner's.
        try:
            with transaction.atomic():
                NumberSeries.objects.create(name=series)
        except IntegrityError:
            pass
    # The UPDATE takes the row lock: a concurrent caller waits until this transaction
    # commits (or rolls back) and then reads the number after it.
    NumberSeries.objects.filter(name=series).update(last=F("last") + 1)
    return NumberSeries.objects.get(name=series).last
