from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import OuterRef, QuerySet
from django.urls import reverse
from django.utils.translation import get_language

from core.db import NestedRows, PreparedQuery
from core.masking import mask_contacts
from core.money import Money

from . import answers, caching, numbers, registry
from .models import TrackingEvent
from .notes import event_note


@dataclass(frozen=True)
class StepView:
    key: str
    label: str
    done: bool
    current: bool


@dataclass(frozen=True)
class HistoryEntry:
    at: Any
    status: str
    label: str
    note: str


@dataclass(frozen=True)
class TrackingView:
    """Everything the public tracking page and JSON show for one number."""

    number: str
    service: registry.TrackedService
    obj: Any
    status: str
    status_label: str
    steps: list[StepView]
    details: dict
    quote: Money | None
    history: list[HistoryEntry]

    @property
    def changes_at(self):
        """When this view goes stale by itself (see TrackedService.changes_at), or None."""
        return self.service.changes_at(self.obj) if self.service.changes_at else None

    @property
    def expected_delay(self) -> str:
        """What the customer waits for now that the request is in (confirmation page)."""
        return self.service.expected_delay(self.obj) if self.service.expected_delay else ""

    def panels(self) -> list[tuple[str, Any]]:
        """The other apps' sections of the page (registry.Panel), as (template, data)."""
        found = []
        for panel in registry.panels():
            data = panel.load(self.obj)
            if data is not None:
                found.append((panel.template, data))
        return found

    def as_json(self) -> dict:
        return {
            "tracking_number": self.number,
            "service": self.service.prefix,
            "status": self.status,
            "status_label": self.status_label,
            "steps": [{"key": s.key, "label": s.label, "done": s.done, "current": s.current} for s in self.steps],
            # Keys starting with "_" are for the page's template only (objects, not JSON).
            "details": {key: value for key, value in self.details.items() if not key.startswith("_")},
            "quote": self.quote.as_json() if self.quote else None,
            "history": [
                {"at": h.at.isoformat(), "status": h.status, "label": h.label, "note": h.note} for h in self.history
            ],
        }


def _steps(service: registry.TrackedService, status: str, events, language: str | None = None) -> list[StepView]:
    step_of = service.step_index
    reached = step_of.get(status)
    current = reached
    if reached is None:
        # Cancelled or another status off the main path: show how far it had got.
        current = None
        reached = max((i for e in events if (i := step_of.get(e.status)) is not None), default=0)
    return [
        StepView(key=step.key, label=label, done=i <= reached, current=i == current)
        for i, (step, label) in enumerate(zip(service.steps, service.step_labels(language), strict=True))
    ]


@dataclass(frozen=True)
class TrackedObject:
    """A service's object (a Revision, a Rental...) found by its tracking number."""

    number: str
    service: registry.TrackedService
    obj: Any


def find_tracked(*, raw_number: str) -> TrackedObject | None:
    """Find the object behind what a customer typed, in one query (the object, its
    tracking row and the service's related rows). For other apps acting on an item
    by number; the public pages use tracking_lookup(), which adds the history.

    Unknown, malformed and bad-check numbers all give None, so callers cannot tell
    them apart (and neither can someone enumerating numbers).
    """
    number = numbers.normalize(raw_number)
    if number is None:
        return None
    service = registry.get(numbers.prefix_of(number))
    if service is None:
        return None
    if connection.vendor == "postgresql":
        found = _item_query(service.prefix).objects(number)
        obj = found[0] if found else None
    else:  # the demo's SQLite
        obj = _item_queryset(service, number).first()
    return None if obj is None else TrackedObject(number=number, service=service, obj=obj)


def _item_queryset(service: registry.TrackedService, number: str):
    return service.model.objects.select_related("tracking", *service.select_related).filter(tracking__number=number)


def _events_queryset(number: str):
    # Internal rows (staff edits of contact details) are the staff's audit trail only.
    return TrackingEvent.objects.filter(item__number=number, internal=False).order_by("at", "pk")


# Compiled once per process: on the tracking pages the ORM's compilation costs more
# than the two queries themselves (core.db.PreparedQuery).
@cache
def _item_query(prefix: str) -> PreparedQuery:
    service = registry.get(prefix)
    return PreparedQuery(lambda number: _item_queryset(service, number).order_by()[:1], "__sentinel-number__")


def _prefetch_rel(service: registry.TrackedService, name: str):
    return service.model._meta.get_field(name)


class _Event(NamedTuple):
    """A public history row as the lookup reads it (event_note() and _steps() need no more)."""

    at: Any
    status: str
    note: str
    note_key: str
    note_params: dict


_EVENT_FIELDS = _Event._fields


@dataclass(frozen=True)
class _Statement:
    """The one statement of a service's lookup (PostgreSQL): the object with its tracking
    row and select_related rows, its public history and each `prefetch` relation as
    NestedRows columns (annotations `_events` and `_prefetch_<name>`)."""

    query: PreparedQuery
    events: NestedRows
    prefetch: dict[str, NestedRows]


@cache
def _statement(prefix: str) -> _Statement:
    service = registry.get(prefix)
    events = NestedRows(
        # Internal rows (staff edits of contact details) are the staff's audit trail only.
        TrackingEvent.objects.filter(item_id=OuterRef("tracking_id"), internal=False).order_by("at", "pk"),
        fields=_EVENT_FIELDS,
    )
    prefetch = {}
    for name in service.prefetch:
        rel = _prefetch_rel(service, name)
        prefetch[name] = NestedRows(
            rel.related_model._default_manager.filter(**{rel.field.attname: OuterRef("pk")}).order_by("pk")
        )
    annotations = {"_events": events, **{f"_prefetch_{name}": rows for name, rows in prefetch.items()}}
    query = PreparedQuery(
        lambda number: _item_queryset(service, number).annotate(**annotations).order_by()[:1],
        "__sentinel-number__",
    )
    return _Statement(query=query, events=events, prefetch=prefetch)


def _attach_prefetched(service: registry.TrackedService, obj, found: dict[str, list]) -> None:
    """Put each relation's rows where `obj.<name>.all()` finds them, as Django's own
    prefetch_related() does (the related manager's queryset, its result cache filled),
    each row pointing back to `obj`."""
    cache_store = obj.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, rows in found.items():
        rel = _prefetch_rel(service, name)
        for row in rows:
            rel.field.set_cached_value(row, obj)
        # A bare queryset holding the rows (the related manager's own would build its
        # filter for nothing: a fifth of the lookup's Python time).
        queryset = QuerySet(model=rel.related_model)
        queryset._result_cache, queryset._prefetch_done = rows, True
        cache_store[rel.cache_name] = queryset  # the related manager reads it there


def tracking_lookup(*, raw_number: str) -> TrackingView | None:
    """Everything the public page shows for what a customer typed, whatever the service
    or the length of its history: the object with its tracking row, its events and the
    service's `prefetch` relations, in one statement on PostgreSQL."""
    number = numbers.normalize(raw_number)
    return _view(number) if number else None


def _view(number: str) -> TrackingView | None:
    """tracking_lookup() of a normalised number."""
    service = registry.get(numbers.prefix_of(number))
    if service is None:
        return None
    if connection.vendor == "postgresql":
        statement = _statement(service.prefix)
        found = statement.query.objects(number)
        obj = found[0] if found else None
        if obj is None:
            return None
        columns = obj.__dict__
        events = [_Event(*row) for row in statement.events.rows(columns.pop("_events"))]
        if statement.prefetch:
            found = {name: rows.objects(columns.pop(f"_prefetch_{name}")) for name, rows in statement.prefetch.items()}
            _attach_prefetched(service, obj, found)
    else:  # the demo's SQLite
        obj = _item_queryset(service, number).prefetch_related(*service.prefetch).first()
        if obj is None:
            return None
        events = list(_events_queryset(number))
    # The reader's language, read once (each read is a thread-local lookup).
    language = get_language()
    labels = service.status_labels(language)
    return TrackingView(
        number=number,
        service=service,
        obj=obj,
        status=obj.status,
        status_label=labels.get(obj.status, obj.status),
        steps=_steps(service, obj.status, events, language),
        details=service.details(obj),
        quote=service.quote(obj),
        history=[
            # Notes are written for the customer, but a number is enough to read them.
            HistoryEntry(
                at=e.at,
                status=e.status,
                label=labels.get(e.status, e.status),
                note=mask_contacts(event_note(e)),
            )
            for e in events
        ],
    )


def tracking_json_body(*, number: str, version: str) -> bytes | None:
    """The public JSON of a normalised number, encoded as the API sends it (None when no
    request has this number), and cached under the `version` read before (see caching).
    On PostgreSQL the answer stored in the database when it is current (one indexed
    read, tracking.answers), else built (one query: tracking_lookup) and stored."""
    language = get_language()
    stored = answers.read(number=number, language=language) if answers.enabled() else None
    if stored is not None:
        body, changes_at = stored
    else:
        view = _view(number)
        if view is None:
            return None
        body = json.dumps(view.as_json(), cls=DjangoJSONEncoder).encode()
        changes_at = view.changes_at
        if answers.enabled():
            item = view.obj.tracking
            answers.store(
                item_id=item.pk, version=item.answer_version, language=language, body=body, valid_until=changes_at
            )
    if caching.enabled():
        caching.store(caching.json_key(number, language), body, version=version, changes_at=changes_at)
    return body


@dataclass(frozen=True)
class RequestSummary:
    """One request of a customer, as their account lists it (no details: those are on
    its tracking page)."""

    number: str
    service: str  # the prefix
    service_label: str
    status: str
    status_label: str
    created_at: Any

    @property
    def url(self) -> str:
        return reverse("tracking:detail", args=[self.number])


def items_for_email(*, email: str, limit: int = 100) -> list[RequestSummary]:
    """Every request, of every registered service that declares its
    `customer_email_field`, sent with `email` (compared case-insensitively), newest
    first, at most `limit`. One query per such service, whatever the number of requests.

    The caller vouches that `email` is the reader's: a customer account passes its
    verified e-mail only (accounts.selectors.verified_email)."""
    email = (email or "").strip()
    if not email:
        return []
    found: list[RequestSummary] = []
    for service in registry.all_services():
        if not service.customer_email_field:
            continue
        rows = (
            service.model.objects.filter(**{f"{service.customer_email_field}__iexact": email})
            .order_by("-created_at", "-pk")
            .values_list("tracking__number", "status", "created_at")[:limit]
        )
        label = str(service.label)
        found.extend(
            RequestSummary(
                number=number,
                service=service.prefix,
                service_label=label,
                status=status,
                status_label=service.status_label(status),
                created_at=created_at,
            )
            for number, status, created_at in rows
        )
    found.sort(key=lambda item: (item.created_at, item.number), reverse=True)
    return found[:limit]


def mask_middle(value: str) -> str:
    """'AB-123-CD' -> 'A*******D': only the first and last characters stay visible."""
    value = (value or "").strip()
    if len(value) <= 2:
        return "*" * len(value)
    return value[0] + "*" * (len(value) - 2) + value[-1]


def public_name(full_name: str) -> str:
    """'Jean-Marc Dupont' -> 'Jean-Marc D.': first name and initial, never more
    (and never an e-mail address or phone typed as a name)."""
    parts = (full_name or "").split()
    if not parts:
        return ""
    first = mask_contacts(parts[0])
    if len(parts) == 1:
        return first
    return f"{first} {parts[-1][0].upper()}."
