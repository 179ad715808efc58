"""The lead-creation allowance, one per influencer whichever door the lead comes
through (the dashboard's form or POST /api/leads/create): one counter in Redis through
the platform's limiter (core.limits)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from core import limits

CREATE_GROUP = "leads:create"
# However the rate is set, an influencer pasting a batch of leads is never stopped.
CREATE_BURST = 20


def create_rate() -> str:
    """settings.LEADS_RATE_CREATE ("60/m"), raised to CREATE_BURST per period if lower."""
    count, _sep, period = settings.LEADS_RATE_CREATE.partition("/")
    return f"{max(int(count), CREATE_BURST)}/{period}"


def lead_create_enforce(request: HttpRequest, *, message: str) -> None:
    """Count one creation attempt of the logged-in user; RateLimited beyond the rate."""
    limits.enforce(request, group=CREATE_GROUP, rate=create_rate(), ident=f"user:{request.user.pk}", message=message)
