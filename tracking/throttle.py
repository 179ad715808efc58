"""Failed-lookup throttle: more than N failed lookups per client IP and window → 429.

A fixed-window counter in the default cache (Redis in production and tests), so every
gunicorn worker and every server sees the same count. Only failures count; once the
limit is reached every lookup from that IP is refused until the window ends, so a hit
cannot be told apart from a miss by someone who keeps guessing. Checking costs one
Redis GET, which matters on the hot path of every tracking request.
"""

import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from core.http import client_ip

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^(\d+)/(\d*)([smhd])$")


@dataclass(frozen=True)
class Verdict:
    blocked: bool
    retry_after: int


def parse_rate(rate: str) -> tuple[int, int]:
    """'20/h' -> (20, 3600); '5/10m' -> (5, 600)."""
    match = _RATE.match(rate.strip())
    if not match:
        raise ValueError(f"Invalid rate {rate!r}: expected N/[k]s|m|h|d")
    count, multiplier, unit = match.groups()
    return int(count), int(multiplier or 1) * _PERIODS[unit]


def _window(request: HttpRequest) -> tuple[str, int, int]:
    limit, period = parse_rate(settings.TRACKING_FAILED_LOOKUPS_RATE)
    now = int(time.time())
    start = now - now % period
    return f"throttle:tracking:{client_ip(request)}:{start}", limit, start + period - now


def check(request: HttpRequest) -> Verdict:
    key, limit, left = _window(request)
    return Verdict(blocked=(cache.get(key) or 0) >= limit, retry_after=max(1, left))


def record_failure(request: HttpRequest) -> None:
    key, _limit, left = _window(request)
    # add() is SET NX and incr() is INCR: concurrent failures from several workers all count.
    if not cache.add(key, 1, left + 5):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, left + 5)
