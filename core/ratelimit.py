"""Fixed-window rate limits counted in the shared cache (Redis in production).

One Redis round trip per hit: INCR and EXPIRE NX in a pipeline, so the count is
shared by every gunicorn worker and server and never lost to a read-modify-write
race. With a non-Redis cache (the demo's in-process cache) it falls back to
add() + incr(), which is atomic within that process.

django-ratelimit guards the public HTML forms; these limits sit on hot API paths
where its ADD + GET per check doubled the Redis traffic.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from django.core.cache import caches

from .cache import RedisCache

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^(\d+)/(\d*)([smhd])$")


def parse_rate(rate: str) -> tuple[int, int]:
    """'20/h' -> (20, 3600); '5/10m' -> (5, 600); '1/d' -> (1, 86400)."""
    match = _RATE.match(rate.strip())
    if not match:
        raise ValueError(f"Invalid rate {rate!r}: expected N/[k]s|m|h|d")
    count, multiplier, unit = match.groups()
    return int(count), int(multiplier or 1) * _PERIODS[unit]


@dataclass(frozen=True)
class Usage:
    count: int
    limit: int
    retry_after: int

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit


def _backend():
    return caches["default"]


def _window(scope: str, ident: str, rate: str) -> tuple[str, int, int, int]:
    limit, period = parse_rate(rate)
    now = int(time.time())
    start = now - now % period
    return f"rl:{scope}:{ident}:{start}", limit, period, start + period - now


def hit(scope: str, ident: str, rate: str) -> Usage:
    """Count one request; `exceeded` once there are more than `limit` in the window."""
    key, limit, period, left = _window(scope, ident, rate)
    backend = _backend()
    if isinstance(backend, RedisCache):
        full_key = backend.make_and_validate_key(key)
        pipe = backend._cache.get_client(full_key, write=True).pipeline()
        pipe.incr(full_key)
        pipe.expire(full_key, period + 5, nx=True)
        count = int(pipe.execute()[0])
    elif backend.add(key, 1, period + 5):
        count = 1
    else:
        try:
            count = backend.incr(key)
        except ValueError:  # expired between add() and incr()
            backend.add(key, 1, period + 5)
            count = 1
    return Usage(count=count, limit=limit, retry_after=max(1, left))


def peek(scope: str, ident: str, rate: str) -> Usage:
    """The current count, without adding to it (one GET)."""
    key, limit, _period, left = _window(scope, ident, rate)
    return Usage(count=int(_backend().get(key) or 0), limit=limit, retry_after=max(1, left))
