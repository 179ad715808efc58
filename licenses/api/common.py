"""What both routers of the license API share: the strict JSON parser, the rate-limit
helper and the date format. Kept out of `licenses.api.__init__` so that the routers can
import them without importing the API that mounts them."""

from __future__ import annotations

import json

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.parser import Parser

from core import limits


class StrictJsonParser(Parser):
    """Malformed JSON is the client's error (400 INVALID_REQUEST), not a 500."""

    def parse_body(self, request):
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise HttpError(400, _("Corps JSON invalide.")) from None
        if not isinstance(data, dict):
            raise HttpError(400, _("Le corps doit être un objet JSON."))
        return data


def limit(request: HttpRequest, scope: str, rate: str, ident: str | None = None) -> None:
    """Count one request of `scope` for the client's IP (or `ident`); over `rate`, raise
    RateLimited (the API answers 429 RATE_LIMIT_EXCEEDED with Retry-After)."""
    limits.enforce(
        request, group=f"licenses:{scope}", rate=rate, ident=ident, message=_("Trop de requêtes. Réessayez plus tard.")
    )
