"""Retention: deleting rows past their keeping period, in bounded batches.

One DELETE per batch (`DELETE ... WHERE id IN (SELECT id ... LIMIT n)`), each committed
on its own: a purge of a year of heartbeats never holds one long transaction, one huge
lock set or one huge WAL burst, and a purge interrupted half-way keeps what it did.
"""

from django.db import transaction
from django.db.models import QuerySet

BATCH_SIZE = 5000


def purge_in_batches(queryset: QuerySet, *, batch_size: int = BATCH_SIZE) -> int:
    """Delete every row of `queryset`, `batch_size` at a time; returns how many went.

    The queryset is re-evaluated for each batch, so running it twice (or two workers at
    once) is harmless: the second finds nothing left to delete.
    """
    model = queryset.model
    total = 0
    while True:
        with transaction.atomic():
            batch = queryset.order_by().values("pk")[:batch_size]
            _, per_model = model._base_manager.filter(pk__in=batch).delete()
        # Count this model's rows only, should a cascade ever add children to the total.
        deleted = per_model.get(model._meta.label, 0)
        total += deleted
        if deleted < batch_size:
            return total
