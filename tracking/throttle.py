"""Failed-lookup throttle: more than N failed lookups per client IP and window → 429.

Counts live in the default cache (Redis in production and tests), so every gunicorn
worker and every server sees the same count. Only failures count; once the limit is
reached every lookup from that IP is refused until the window ends, so a hit cannot
be told apart from a miss by someone who keeps guessing.
"""

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from core.http import ratelimit_key

GROUP = "tracking-failed-lookups"


@dataclass(frozen=True)
class Verdict:
    blocked: bool
    retry_after: int


def _usage(request: HttpRequest, *, increment: bool) -> dict | None:
    return get_usage(
        request, group=GROUP, key=ratelimit_key, rate=settings.TRACKING_FAILED_LOOKUPS_RATE, increment=increment
    )


def check(request: HttpRequest) -> Verdict:
    usage = _usage(request, increment=False)
    if usage is None:
        return Verdict(blocked=False, retry_after=0)
    return Verdict(blocked=usage["count"] >= usage["limit"], retry_after=max(1, int(usage["time_left"])))


def record_failure(request: HttpRequest) -> None:
    _usage(request, increment=True)
