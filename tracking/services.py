from __future__ import annotations

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from core.origin import SYSTEM, Origin

from . import caching, numbers, registry
from .models import TrackedItem, TrackingEvent


class TransitionError(Exception):
    """A status change the service's state machine does not allow."""

    def __init__(self, *, service: registry.TrackedService, from_status: str, to_status: str):
        self.from_status, self.to_status = from_status, to_status
        super().__init__(
            f"{service.prefix}: « {service.status_label(from_status)} » → « {service.status_label(to_status)} » "
            "n'est pas autorisé"
        )


@transaction.atomic
def tracked_item_allocate(*, prefix: str, initial_status: str, note: str = "", origin: Origin = SYSTEM) -> TrackedItem:
    """Allocate a new, globally unique tracking number for a registered service and
    record its first history row."""
    if registry.get(prefix) is None:
        raise registry.RegistryError(f"No tracking service registered for prefix {prefix}")
    year = timezone.localdate().year
    for _attempt in range(10):
        try:
            # Savepoint: a collision (1 in 34 billion per year) must not break the outer transaction.
            with transaction.atomic():
                item = TrackedItem.objects.create(number=numbers.generate(prefix, year), service=prefix)
            break
        except IntegrityError:
            continue
    else:  # pragma: no cover - would need 10 collisions in a row
        raise RuntimeError("Could not allocate a unique tracking number")
    item.reference = f"{prefix}-{item.pk:06d}"
    item.save(update_fields=["reference"])
    _record(item=item, from_status="", to_status=initial_status, note=note, origin=origin)
    return item


def _record(*, item: TrackedItem, from_status: str, to_status: str, note: str, origin: Origin) -> TrackingEvent:
    caching.invalidate(item.number)
    return TrackingEvent.objects.create(
        item=item,
        from_status=from_status,
        status=to_status,
        note=note,
        actor=origin.actor,
        ip=origin.ip,
        user_agent=origin.user_agent,
    )


def can_transition(obj: models.Model, to_status: str) -> bool:
    service = registry.for_model(type(obj))
    return to_status in service.transitions.get(obj.status, frozenset())


@transaction.atomic
def status_transition(
    *, obj: models.Model, to_status: str, note: str = "", origin: Origin = SYSTEM, fields: dict | None = None
) -> TrackingEvent:
    """The one way a tracked item changes status.

    Checks the service's transition map, then updates with `WHERE status = <old>`:
    if a concurrent request changed the status first, nothing is updated and the
    change is refused instead of silently overwriting it. `fields` are saved in the
    same UPDATE (e.g. the quote amount that goes with "devis envoyé").
    """
    service = registry.for_model(type(obj))
    from_status = obj.status
    if to_status not in service.transitions.get(from_status, frozenset()):
        raise TransitionError(service=service, from_status=from_status, to_status=to_status)
    values = {"status": to_status, "updated_at": timezone.now(), **(fields or {})}
    updated = type(obj).objects.filter(pk=obj.pk, status=from_status).update(**values)
    if not updated:
        current = type(obj).objects.values_list("status", flat=True).get(pk=obj.pk)
        raise TransitionError(service=service, from_status=current, to_status=to_status)
    for name, value in values.items():
        setattr(obj, name, value)
    return _record(item=obj.tracking, from_status=from_status, to_status=to_status, note=note, origin=origin)


def event_record(*, obj: models.Model, note: str, origin: Origin = SYSTEM) -> TrackingEvent:
    """A history row without a status change (e.g. a message to the customer)."""
    return _record(item=obj.tracking, from_status=obj.status, to_status=obj.status, note=note, origin=origin)
