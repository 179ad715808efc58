"""History notes in the reader's language.

A note the system writes ("Devis accepté par le client.") is stored as a message key
and its parameters, and rendered when read, in the language of whoever reads it: the
English reader of a tracking page sees English notes, the customer's e-mail is in the
customer's language. Notes typed by staff (a status change's free text) are stored as
typed. The `note` column always holds the text in the site's default language too, so
that admin search and exports keep working whatever the key.

Each service declares its messages in its TrackedService (`notes`), registered with the
service; tracking's own are below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.money import Money


@dataclass(frozen=True)
class Note:
    """A system note: a registered message key and the values of its placeholders
    (text, numbers, Money), e.g. Note("revision.quote_sent", {"amount": quote})."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


class NoteError(Exception):
    pass


# A message is lazy text with %(name)s placeholders, or a function of the decoded
# parameters returning the text (for a note whose parts are themselves translated).
Message = Promise | Callable[[dict], str]
_messages: dict[str, Message] = {}


def _staff_edit(params: dict) -> str:
    """ "Modifié par l'équipe : e-mail : a@x → b@x; ..." with each field's label in the
    reader's language. params: {"model": "app.model", "changes": [[field, old, new], ...]}."""
    model = apps.get_model(params["model"])

    def label(name: str) -> str:
        try:
            return str(model._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            return name

    changes = "; ".join(f"{label(name)} : {old} → {new}" for name, old, new in params["changes"])
    return _("Modifié par l'équipe : %(changes)s") % {"changes": changes}


TRACKING_NOTES: dict[str, Message] = {
    # Staff edits of a request's fields (internal rows, staff only).
    "tracking.staff_edit": _staff_edit,
}


def register(messages: dict[str, Message]) -> None:
    for key, message in messages.items():
        if key in _messages and _messages[key] is not message:
            raise NoteError(f"History note key {key!r} is already registered")
        _messages[key] = message


register(TRACKING_NOTES)

# Parameters are stored as JSON: a Money travels as {"$money": [amount, currency]}.
_MONEY = "$money"


def encode(params: dict[str, Any]) -> dict[str, Any]:
    def one(value):
        if isinstance(value, Money):
            return {_MONEY: [str(value.amount), value.currency]}
        if isinstance(value, str | int | bool) or value is None:
            return value
        if isinstance(value, list | tuple):
            return [one(v) for v in value]
        if isinstance(value, Promise):
            raise NoteError("Pass a message key, not translated text, as a note parameter")
        return str(value)

    return {name: one(value) for name, value in params.items()}


def _decode(value):
    if isinstance(value, dict) and _MONEY in value:
        try:
            amount, currency = value[_MONEY]
            return Money(Decimal(amount), currency)
        except (ValueError, TypeError, InvalidOperation):
            return ""
    return value


def render(*, key: str, params: dict, fallback: str = "") -> str:
    """The note in the active language; the stored text when the key is unknown (a
    message removed since) or its parameters no longer fit."""
    message = _messages.get(key)
    if not key or message is None:
        return fallback
    decoded = {name: _decode(value) for name, value in (params or {}).items()}
    try:
        return message(decoded) if callable(message) else str(message % decoded)
    except (KeyError, TypeError, ValueError, LookupError):
        return fallback


def stored(note: str | Note) -> tuple[str, str, dict]:
    """(note text in the default language, key, encoded params) for a new row."""
    if isinstance(note, Note):
        if note.key not in _messages:
            raise NoteError(f"Unknown history note key {note.key!r}: declare it in the service's notes")
        params = encode(note.params)
        with translation.override(settings.LANGUAGE_CODE):
            text = render(key=note.key, params=params)
        return text, note.key, params
    return note or "", "", {}


def event_note(event) -> str:
    """A TrackingEvent's note for the current reader."""
    return render(key=event.note_key, params=event.note_params, fallback=event.note)
