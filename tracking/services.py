from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.functional import lazy
from django.utils.translation import gettext as _

from core.edits import fields_apply
from core.errors import DomainError
from core.models import OutboundMessage
from core.notify import notify_email, tracking_url
from core.origin import SYSTEM, Origin

from . import caching, numbers, registry
from .models import TrackedItem, TrackingEvent
from .notes import Note, event_note, stored


class TransitionError(DomainError):
    """A status change the service's state machine does not allow."""

    def __init__(self, *, service: registry.TrackedService, from_status: str, to_status: str):
        self.from_status, self.to_status = from_status, to_status
        super().__init__(
            "TRANSITION_NOT_ALLOWED",
            _("%(prefix)s : « %(from)s » → « %(to)s » n'est pas autorisé.")
            % {
                "prefix": service.prefix,
                "from": service.status_label(from_status),
                "to": service.status_label(to_status),
            },
            details={"from": from_status, "to": to_status},
        )


@transaction.atomic
def tracked_item_allocate(
    *, prefix: str, initial_status: str, note: str | Note = "", origin: Origin = SYSTEM
) -> TrackedItem:
    """Allocate a new, globally unique tracking number for a registered service and
    record its first history row. The active language (the customer's, on a public
    form) is kept as the language of the customer's e-mails."""
    if registry.get(prefix) is None:
        raise registry.RegistryError(f"No tracking service registered for prefix {prefix}")
    year = timezone.localdate().year
    for _attempt in range(10):
        try:
            # Savepoint: a collision (1 in 34 billion per year) must not break the outer transaction.
            with transaction.atomic():
                item = TrackedItem.objects.create(
                    number=numbers.generate(prefix, year), service=prefix, language=_customer_language()
                )
            break
        except IntegrityError:
            continue
    else:  # pragma: no cover - would need 10 collisions in a row
        raise RuntimeError("Could not allocate a unique tracking number")
    item.reference = f"{prefix}-{item.pk:06d}"
    item.save(update_fields=["reference"])
    _record(item=item, from_status="", to_status=initial_status, note=note, origin=origin)
    return item


def _customer_language() -> str:
    try:
        return translation.get_supported_language_variant(translation.get_language() or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


def _event(
    *, item: TrackedItem, from_status: str, to_status: str, note: str | Note, origin: Origin, internal: bool = False
) -> TrackingEvent:
    text, key, params = stored(note)
    return TrackingEvent(
        item=item,
        from_status=from_status,
        status=to_status,
        note=text,
        note_key=key,
        note_params=params,
        internal=internal,
        actor=origin.actor,
        ip=origin.ip,
        user_agent=origin.user_agent,
    )


def _record(
    *, item: TrackedItem, from_status: str, to_status: str, note: str | Note, origin: Origin, internal: bool = False
) -> TrackingEvent:
    caching.invalidate(item.number)
    event = _event(item=item, from_status=from_status, to_status=to_status, note=note, origin=origin, internal=internal)
    event.save()
    return event


def can_transition(obj: models.Model, to_status: str) -> bool:
    service = registry.for_model(type(obj))
    return to_status in service.transitions.get(obj.status, frozenset())


@transaction.atomic
def status_transition(
    *, obj: models.Model, to_status: str, note: str | Note = "", origin: Origin = SYSTEM, fields: dict | None = None
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


@transaction.atomic
def status_change(
    *,
    obj: models.Model,
    to_status: str,
    note: str | Note = "",
    notify: bool,
    origin: Origin = SYSTEM,
    fields: dict | None = None,
) -> TrackingEvent:
    """Change status, record the history row and, with `notify`, queue the customer's
    status e-mail: the one helper every service's "move it along" calls."""
    event = status_transition(obj=obj, to_status=to_status, note=note, origin=origin, fields=fields)
    if notify:
        status_notify(obj=obj, event=event)
    return event


def status_notify(*, obj: models.Model, event: TrackingEvent) -> OutboundMessage:
    """Queue the status e-mail the service declares in the registry.

    Keyed on the history row: a second status change is a new message, a retried
    transaction or job is not.
    """
    service = registry.for_model(type(obj))
    if not service.status_email or service.customer is None:
        raise registry.RegistryError(f"{service.prefix} declares no status e-mail (status_email, customer)")
    customer = service.customer(obj)
    number = obj.tracking.number
    return notify_email(
        key=f"tracking:event:{event.pk}:email",
        to=customer.email,
        template=service.status_email,
        language=obj.tracking.language,
        context={
            "obj": obj,
            "customer": customer,
            "number": number,
            # Rendered in the customer's language, as the rest of the e-mail.
            "status_label": lazy(service.status_label, str)(event.status),
            "note": lazy(event_note, str)(event),
            "url": tracking_url(number),
        },
    )


def status_change_many(
    *,
    queryset: models.QuerySet,
    to_status: str,
    note: str | Note,
    notify: bool,
    origin: Origin = SYSTEM,
    batch_size: int = 500,
    fields: dict | None = None,
    after: Callable[[models.Model], None] | None = None,
) -> int:
    """The set-based `status_change` for beat jobs (e.g. rental holds that expire).

    Rows of `queryset` whose status may move to `to_status` are claimed in batches with
    FOR UPDATE SKIP LOCKED: a row a member of staff is changing right now is left for
    the next run instead of being overwritten, two runs never claim the same row, and
    a claimed row leaves the queryset, so running the job twice changes nothing. Each
    row gets its history row and, with `notify`, its e-mail keyed on that row; `fields`
    are set in the same UPDATE (a closing date), `after(obj)` runs for each changed row
    inside its batch's transaction. Returns the number of rows changed.
    """
    model = queryset.model
    service = registry.for_model(model)
    sources = [status for status, targets in service.transitions.items() if to_status in targets]
    total = 0
    while True:
        with transaction.atomic():
            batch = list(
                queryset.filter(status__in=sources)
                .select_related("tracking", *service.select_related)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("pk")[:batch_size]
            )
            if not batch:
                return total
            now = timezone.now()
            values = {"status": to_status, "updated_at": now, **(fields or {})}
            model.objects.filter(pk__in=[obj.pk for obj in batch]).update(**values)
            events = TrackingEvent.objects.bulk_create(
                [
                    _event(item=obj.tracking, from_status=obj.status, to_status=to_status, note=note, origin=origin)
                    for obj in batch
                ]
            )
            for obj, event in zip(batch, events, strict=True):
                for name, value in values.items():
                    setattr(obj, name, value)
                caching.invalidate(obj.tracking.number)
                if notify:
                    status_notify(obj=obj, event=event)
                if after is not None:
                    after(obj)
        total += len(batch)
        if len(batch) < batch_size:
            return total


def event_record(
    *, obj: models.Model, note: str | Note, origin: Origin = SYSTEM, internal: bool = False
) -> TrackingEvent:
    """A history row without a status change (e.g. a message to the customer; with
    `internal`, a staff-only row such as an assignment or a photo added). Drops the cached
    page and JSON."""
    return _record(
        item=obj.tracking, from_status=obj.status, to_status=obj.status, note=note, origin=origin, internal=internal
    )


# Never changed through a field edit: status has its transitions, the tracking number
# and timestamps are the system's.
_NOT_EDITABLE = frozenset({"id", "status", "tracking", "created_at", "updated_at"})


def _display(value) -> str:
    if value is None or value == "":
        return "—"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


@transaction.atomic
def tracked_fields_update(
    *, obj: models.Model, changes: dict, editable: frozenset[str], origin: Origin
) -> TrackingEvent | None:
    """Staff edit of a tracked request's fields (name, e-mail, phone, vehicle...), among
    the service's `editable` ones; text values are stripped.

    Writes the fields that really change and leaves an internal history row listing
    each one from its old to its new value, so the audit trail says who changed a
    customer's contact details and what they were. Internal rows never appear on the
    public page. Returns that row, or None when nothing changed.
    """
    current, diffs = fields_apply(
        obj=obj, changes=changes, editable=editable - _NOT_EDITABLE, select_related=["tracking"]
    )
    if not diffs:
        return None
    note = Note(
        "tracking.staff_edit",
        {"model": type(obj)._meta.label_lower, "changes": [[c.name, _display(c.old), _display(c.new)] for c in diffs]},
    )
    return _record(
        item=current.tracking,
        from_status=current.status,
        to_status=current.status,
        note=note,
        origin=origin,
        internal=True,
    )
