"""What both routers of the license API share: the rate-limit helper. Kept out of
`licenses.api.__init__` so that the routers can import it without importing the API that
mounts them. (The strict JSON parser is the platform's: `core.api`.)"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from core import limits

# Translated when a request is refused, not at every request.
_TOO_MANY = gettext_lazy("Trop de requêtes. Réessayez plus tard.")


def counter(request: HttpRequest, scope: str, rate: str, ident: str | None = None) -> limits.Counter | None:
    """The client's counter for one limit of `scope` (its IP, or `ident`)."""
    return limits.counter_for(request, group=f"licenses:{scope}", rate=rate, ident=ident, message=_TOO_MANY)


def limit(request: HttpRequest, scope: str, rate: str, ident: str | None = None) -> None:
    """Count one request of `scope` for the client's IP (or `ident`); over `rate`, raise
    RateLimited (the API answers 429 RATE_LIMIT_EXCEEDED with Retry-After)."""
    limits.enforce_counter(counter(request, scope, rate, ident))
