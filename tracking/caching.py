"""Cache of the public tracking JSON and of the tracking page's content, one entry per
number and language.

Customers refresh their tracking page far more often than anything changes, and the
ORM work for an item and its history, and rendering it, cost milliseconds against a
fraction of one for a Redis read, so both are served from Redis (the JSON as its
bytes, the page content as HTML with a CSRF hole: core.fragments). Every change drops
the entries after commit: each history row (status changes go through
tracking.services) and each save of a service's model (admin edits). The TTL
(TRACKING_JSON_CACHE_SECONDS, 0 turns the cache off) bounds staleness for changes made
elsewhere (a fleet car renamed), and never reaches past the moment the page would
change by itself (a quote's validity, a rental hold: the service's `changes_at`).
"""

import logging
import uuid
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from core import microcache

logger = logging.getLogger(__name__)


# The entries and failed-lookup counts most recently read, per process, for about a
# second (MICROCACHE_SECONDS; core.microcache).
local = microcache.public


def json_key(number: str, language: str) -> str:
    return f"tracking:json:{number}:{language}"


def page_key(number: str, language: str) -> str:
    return f"tracking:page:{number}:{language}"


def enabled() -> bool:
    return settings.TRACKING_JSON_CACHE_SECONDS > 0


def timeout(changes_at: datetime | None) -> int:
    """How long an entry may live: the TTL, cut short before a change that needs no write."""
    seconds = settings.TRACKING_JSON_CACHE_SECONDS
    if changes_at is not None:
        seconds = min(seconds, int((changes_at - timezone.now()).total_seconds()))
    return max(seconds, 0)


def version_key(number: str) -> str:
    """Replaced at every change of the number's request. Entries are stored with the
    version read before they were built: one built from data read before a change, and
    stored after it, is never served (a delete alone would let it in)."""
    return f"tracking:version:{number}"


def current(found: dict, key: str, number: str) -> tuple[object | None, str]:
    """(the entry under `key` if it is of the current version, that version), from the
    values read for [key, version_key(number)]."""
    version = found.get(version_key(number), "")
    stored = found.get(key)
    value = stored[1] if isinstance(stored, tuple) and stored[0] == version else None
    return value, version


def store(key: str, value, *, version: str, changes_at: datetime | None) -> None:
    seconds = timeout(changes_at)
    if seconds <= 0:
        return
    try:
        cache.set(key, (version, value), seconds)
    except Exception as exc:  # Redis down: the page is simply built again next time
        logger.warning("tracking cache not written (%s): %s", key, exc)
        return
    local.set_many({key: (version, value)})  # this process copied it as absent a moment ago


VERSION_SECONDS = 30 * 24 * 3600


def invalidate(number: str) -> None:
    keys = [make(number, code) for code, _name in settings.LANGUAGES for make in (json_key, page_key)]

    # Robust: the change is committed; a cache that cannot be reached must not turn it
    # into an error (its entries expire with their TTL).
    def drop() -> None:
        cache.set(version_key(number), uuid.uuid4().hex, VERSION_SECONDS)
        cache.delete_many(keys)
        local.forget([*keys, version_key(number)])  # after Redis: a copy taken meanwhile would be old

    transaction.on_commit(drop, robust=True)


def invalidate_instance(sender, instance, **kwargs) -> None:
    """post_save receiver connected for every registered service model."""
    from .models import TrackedItem

    # The services load the tracking row with the object: no query then.
    if type(instance).tracking.is_cached(instance):
        number = instance.tracking.number
    else:
        number = TrackedItem.objects.values_list("number", flat=True).filter(pk=instance.tracking_id).first()
    if number:
        invalidate(number)
