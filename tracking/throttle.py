"""Failed-lookup throttle: more than N failed lookups per client IP and window → 429.

Counted by django-ratelimit in the shared cache (core.limits), so every gunicorn
worker and server sees the same count; IPv6 clients are counted per /64. Only
failures count; once the limit is reached every lookup from that IP is refused until
the window ends, so a hit cannot be told apart from a miss by someone who keeps
guessing.
"""

from django.conf import settings
from django.http import HttpRequest

from core import limits

from . import caching

GROUP = "tracking-failed-lookups"


def check_and_get(request: HttpRequest, *, keys: list[str]) -> dict:
    """check(), and these cache keys read in the same round trip (cached pages), both
    through the per-process microcache (tracking.caching.local)."""
    return limits.check_and_get(
        request, group=GROUP, rate=settings.TRACKING_FAILED_LOOKUPS_RATE, keys=keys, local=caching.local
    )


def record_failure(request: HttpRequest) -> None:
    limits.count(request, group=GROUP, rate=settings.TRACKING_FAILED_LOOKUPS_RATE, local=caching.local)
