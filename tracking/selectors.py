from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import get_language

from core.masking import mask_contacts
from core.money import Money

from . import caching, numbers, registry
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
    def expected_delay(self) -> str:
        """What the customer waits for now that the request is in (confirmation page)."""
        return self.service.expected_delay(self.obj) if self.service.expected_delay else ""

    def as_json(self) -> dict:
        return {
            "tracking_number": self.number,
            "service": self.service.prefix,
            "status": self.status,
            "status_label": self.status_label,
            "steps": [{"key": s.key, "label": s.label, "done": s.done, "current": s.current} for s in self.steps],
            "details": self.details,
            "quote": self.quote.as_json() if self.quote else None,
            "history": [
                {"at": h.at.isoformat(), "status": h.status, "label": h.label, "note": h.note} for h in self.history
            ],
        }


def _steps(service: registry.TrackedService, status: str, events: list[TrackingEvent]) -> list[StepView]:
    def step_index(s: str) -> int | None:
        return next((i for i, step in enumerate(service.steps) if s in step.statuses), None)

    reached = step_index(status)
    current = reached
    if reached is None:
        # Cancelled or another status off the main path: show how far it had got.
        current = None
        reached = max((i for e in events if (i := step_index(e.status)) is not None), default=0)
    return [
        StepView(key=step.key, label=str(step.label), done=i <= reached, current=i == current)
        for i, step in enumerate(service.steps)
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
    obj = (
        service.model.objects.select_related("tracking", *service.select_related)
        .filter(tracking__number=number)
        .first()
    )
    return None if obj is None else TrackedObject(number=number, service=service, obj=obj)


def tracking_lookup(*, raw_number: str) -> TrackingView | None:
    """Everything the public page shows for what a customer typed. Two queries whatever
    the service or the length of its history: find_tracked(), then the item's events."""
    found = find_tracked(raw_number=raw_number)
    if found is None:
        return None
    service, obj = found.service, found.obj
    # Internal rows (staff edits of contact details) are the staff's audit trail only.
    events = list(TrackingEvent.objects.filter(item_id=obj.tracking_id, internal=False).order_by("at", "pk"))
    return TrackingView(
        number=found.number,
        service=service,
        obj=obj,
        status=obj.status,
        status_label=service.status_label(obj.status),
        steps=_steps(service, obj.status, events),
        details=service.details(obj),
        quote=service.quote(obj),
        history=[
            # Notes are written for the customer, but a number is enough to read them.
            HistoryEntry(
                at=e.at, status=e.status, label=service.status_label(e.status), note=mask_contacts(event_note(e))
            )
            for e in events
        ],
    )


def tracking_json(*, raw_number: str) -> dict | None:
    """The public JSON for a number, from the cache when possible (no SQL on a hit)."""
    number = numbers.normalize(raw_number)
    if number is None or registry.get(numbers.prefix_of(number)) is None:
        return None
    key = caching.json_key(number, get_language())
    data = cache.get(key)
    if data is None:
        view = tracking_lookup(raw_number=number)
        if view is None:
            return None
        data = view.as_json()
        cache.set(key, data, settings.TRACKING_JSON_CACHE_SECONDS)
    return data


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
