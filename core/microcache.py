"""A per-process copy, kept for about a second, of values read from Redis on every request
of a hot path ("microcaching").

The tracking pages and JSON read, at each request, the cached answer and the client's
failed-lookup count from Redis: one round trip that costs as much as the rest of the
request. A customer refreshing, or a burst of requests for one number, then reads them
from the process for `seconds` (the setting named by `setting`; 0 turns it off).

What that costs, bounded by `seconds`: a change (a status, a quote) reaches the other
processes' copies up to that long after Redis (this process forgets its own at commit);
a client that has just used up its failed lookups in one process may still be answered
by another for that long. Failed lookups are always counted in Redis at once.
"""

from __future__ import annotations

import time

from django.conf import settings

MAX_ENTRIES = 10_000
# Stored for a key Redis did not have, so that its absence is remembered too.
ABSENT = object()


class Microcache:
    """Copies kept for the number of seconds in setting `setting`, or `seconds`."""

    def __init__(self, setting: str = "", *, seconds: float = 0):
        self.setting, self._seconds = setting, seconds
        self._entries: dict[str, tuple[float, object]] = {}

    @property
    def seconds(self) -> float:
        return getattr(settings, self.setting, 0) if self.setting else self._seconds

    def get_many(self, keys: list[str]) -> dict:
        """The fresh copies among `keys`."""
        if self.seconds <= 0:
            return {}
        now, found = time.monotonic(), {}
        for key in keys:
            entry = self._entries.get(key)
            if entry is not None and entry[0] > now:
                found[key] = entry[1]
        return found

    def set_many(self, values: dict) -> None:
        seconds = self.seconds
        if seconds <= 0 or not values:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        expires = time.monotonic() + seconds
        for key, value in values.items():
            self._entries[key] = (expires, value)

    def forget(self, keys: list[str]) -> None:
        for key in keys:
            self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()


# The one the public pages share (tracking pages and JSON, the booking form).
public = Microcache("MICROCACHE_SECONDS")
