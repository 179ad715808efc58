"""Services plug into tracking here; tracking never imports a service.

A service app registers a `TrackedService` from its AppConfig.ready(). The tracking
page, the JSON API and the lookup only talk to this interface, so adding a service
(shop orders, tickets, hosting requests...) never touches tracking's code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import get_language

from core.money import Money


@dataclass(frozen=True)
class Step:
    key: str
    label: Any  # lazy translation
    statuses: frozenset[str]  # statuses in which this step is the current one


@dataclass(frozen=True)
class Customer:
    """Who a request belongs to, for the messages sent about it (staff and e-mail only,
    never the public page)."""

    name: str
    email: str
    phone: str = ""


@dataclass(frozen=True)
class TrackedService:
    prefix: str
    label: Any
    model: type[models.Model]
    # Partial included in the tracking page, rendered with `item` and `view`.
    template: str
    status_choices: type[models.TextChoices]
    # Allowed transitions: status -> statuses reachable from it.
    transitions: dict[str, frozenset[str]]
    steps: Sequence[Step]
    # Public details of one item (no personal data beyond first name + initial).
    details: Callable[[Any], dict]
    # The quote/price shown to the customer, or None.
    quote: Callable[[Any], Money | None] = lambda obj: None
    # Extra select_related paths for the one query that loads an item.
    select_related: Sequence[str] = field(default_factory=tuple)
    # Reverse relations (related names) the public page and JSON read, e.g. a revision's
    # "media": loaded in the lookup's round trip and put in Django's prefetch cache, so
    # `obj.media.all()` costs no query of its own.
    prefetch: Sequence[str] = field(default_factory=tuple)
    # Other tables whose rows the public answer shows, beyond the model, its tracking row
    # and history, `select_related` and `prefetch` (which count already): (model, one of
    # its columns, the lookup from this service's model that matches that column's
    # value), e.g. a ticket's messages (Message, "ticket_id", "pk"). A change of any of
    # them makes the stored public answers of the items concerned stale
    # (tracking.answers).
    answer_sources: Sequence[tuple[type[models.Model], str, str]] = field(default_factory=tuple)
    # The e-mail sent when a status change asks to notify the customer
    # (tracking.services.status_change): a template pair <name>_subject.txt/_body.txt
    # rendered with obj, customer, number, status_label, note and url, sent to
    # customer(obj).email. Without both, a status change cannot notify.
    status_email: str = ""
    customer: Callable[[Any], Customer] | None = None
    # History notes the service writes, by key (see tracking.notes): shown in the
    # reader's language.
    notes: dict[str, Any] = field(default_factory=dict)
    # The public request form (a URL name) and one sentence about the service: the home
    # page offers every service that has one, the lookup page's legend lists them all.
    request_url: str = ""
    description: Any = ""
    # What the customer waits for after asking ("a quote within 2 working days"), shown
    # on the confirmation page; a function of the object, or None.
    expected_delay: Callable[[Any], str] | None = None
    # When the public page of an object changes by itself, without any write (a quote
    # that expires): cached pages and JSON never outlive it. A function of the object.
    changes_at: Callable[[Any], Any] | None = None
    # The model field holding the customer's e-mail ("client_email"): a customer account
    # lists the service's requests sent with its verified e-mail (tracking.selectors.
    # items_for_email, "Mes demandes"). Empty: the service is not listed there.
    customer_email_field: str = ""

    def status_label(self, status: str) -> str:
        """A status's label in the active language."""
        return self.status_labels().get(status, status)

    def status_labels(self, language: str | None = None) -> dict[str, str]:
        """status -> label in `language` (default: the active one), translated once per
        language: the tracking lookups ask for every history row's label, and a lazy
        label's translation costs a catalogue lookup."""
        language = language or get_language()
        labels = self._texts.get(language)
        if labels is None:
            labels = self._texts[language] = {status: str(label) for status, label in self.status_choices.choices}
        return labels

    def step_labels(self, language: str | None = None) -> list[str]:
        """The steps' labels in `language` (default: the active one), translated once."""
        language = language or get_language()
        labels = self._step_texts.get(language)
        if labels is None:
            labels = self._step_texts[language] = [str(step.label) for step in self.steps]
        return labels

    @cached_property
    def step_index(self) -> dict[str, int]:
        """status -> the index of the (first) step in which it is the current one."""
        index: dict[str, int] = {}
        for i, step in enumerate(self.steps):
            for status in step.statuses:
                index.setdefault(status, i)
        return index

    @cached_property
    def _step_texts(self) -> dict:
        return {}

    @cached_property
    def _texts(self) -> dict:
        return {}


@dataclass(frozen=True)
class Panel:
    """A section another app adds to every tracking page, below the service's own (the
    support conversation): `load(obj)` returns what `template` shows (as `panel`), or
    None to show nothing for that object. Loaded for the page only, never for the JSON."""

    key: str
    template: str
    load: Callable[[Any], Any]


class RegistryError(Exception):
    pass


_panels: dict[str, Panel] = {}


def register_panel(panel: Panel) -> None:
    _panels[panel.key] = panel


def panels() -> list[Panel]:
    return list(_panels.values())


_services: dict[str, TrackedService] = {}


def register(service: TrackedService) -> None:
    if service.prefix in _services and _services[service.prefix] is not service:
        raise RegistryError(f"Tracking prefix {service.prefix} is already registered")
    _services[service.prefix] = service
    from django.db.models.signals import post_save

    from . import notes

    notes.register(service.notes)

    from .caching import invalidate_instance

    # Edits made outside tracking.services (e.g. the admin change form) must not leave
    # a stale public page behind.
    post_save.connect(invalidate_instance, sender=service.model, weak=False, dispatch_uid=f"tracking-{service.prefix}")


def get(prefix: str) -> TrackedService | None:
    return _services.get(prefix)


def all_services() -> list[TrackedService]:
    return sorted(_services.values(), key=lambda s: s.prefix)


def known_prefixes() -> list[str]:
    """Registered and reserved prefixes (reserved ones have no service yet)."""
    return sorted(set(_services) | set(settings.TRACKING_RESERVED_PREFIXES))


def for_model(model: type[models.Model]) -> TrackedService:
    for service in _services.values():
        if service.model is model or isinstance(model, type) and issubclass(model, service.model):
            return service
    raise RegistryError(f"{model.__name__} is not a tracked service")
