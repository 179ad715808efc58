"""Failed-lookup throttle: more than N failed lookups per client IP and window → 429.

Counted in the shared cache (core.ratelimit), so every gunicorn worker and server sees
the same count. Only failures count; once the limit is reached every lookup from that
IP is refused until the window ends, so a hit cannot be told apart from a miss by
someone who keeps guessing. Checking costs one Redis GET on every tracking request.
"""

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest

from core import ratelimit
from core.http import client_ip

SCOPE = "tracking-failed-lookups"


@dataclass(frozen=True)
class Verdict:
    blocked: bool
    retry_after: int


def check(request: HttpRequest) -> Verdict:
    usage = ratelimit.peek(SCOPE, client_ip(request), settings.TRACKING_FAILED_LOOKUPS_RATE)
    return Verdict(blocked=usage.count >= usage.limit, retry_after=usage.retry_after)


def record_failure(request: HttpRequest) -> None:
    ratelimit.hit(SCOPE, client_ip(request), settings.TRACKING_FAILED_LOOKUPS_RATE)
