"""Each user's unread count, cached in Redis so the bell in every page's header costs
one cache round trip and no query.

The count is stored with the versions it was computed under: the user's own (replaced
after every change to their notifications) and a global one (replaced by a broadcast,
which changes thousands of counts at once). One MGET reads the count and both versions;
a count made under older versions is recomputed. Replacing the version, rather than
deleting the count, also covers the race of a reader that counted before a change
committed and stores its count after: that count carries the old version, so the next
read ignores it.
"""

from __future__ import annotations

import logging
import uuid

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

_VERSION = "v1"  # of the cached value's shape
COUNT_SECONDS = 3600
GLOBAL_VERSION_KEY = f"notifications:{_VERSION}:version:all"


def count_key(user_id: int) -> str:
    return f"notifications:{_VERSION}:unread:{user_id}"


def version_key(user_id: int) -> str:
    return f"notifications:{_VERSION}:version:{user_id}"


def read(user_id: int) -> tuple[int | None, tuple[str, str]]:
    """(the cached count or None, the current versions to store a new count under)."""
    keys = [count_key(user_id), version_key(user_id), GLOBAL_VERSION_KEY]
    try:
        found = cache.get_many(keys)
    except Exception:  # Redis down: count in the database, as without a cache
        return None, ("", "")
    versions = (found.get(keys[1], ""), found.get(keys[2], ""))
    entry = found.get(keys[0])
    if entry is not None and tuple(entry[:2]) == versions:
        return entry[2], versions
    return None, versions


def store(user_id: int, versions: tuple[str, str], count: int) -> None:
    try:
        cache.set(count_key(user_id), (*versions, count), COUNT_SECONDS)
    except Exception:
        logger.warning("unread count of user %s not cached: the cache is unavailable", user_id)


def _replace(key: str) -> None:
    try:
        cache.set(key, uuid.uuid4().hex, None)
    except Exception:
        # The counts then live until COUNT_SECONDS: stale for that long at worst.
        logger.warning("%s not replaced: the cache is unavailable", key)


def changed(user_id: int) -> None:
    """The user's count is recomputed once the current transaction commits."""
    transaction.on_commit(lambda: _replace(version_key(user_id)), robust=True)


def changed_for_everyone() -> None:
    transaction.on_commit(lambda: _replace(GLOBAL_VERSION_KEY), robust=True)
