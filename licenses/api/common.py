"""What both routers of the license API share: the strict JSON parser, the rate-limit
helper and the date format. Kept out of `licenses.api.__init__` so that the routers can
import them without importing the API that mounts them."""

from __future__ import annotations

import json
from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.parser import Parser

from core import ratelimit
from core.http import client_ip

from ..errors import LicenseError


class StrictJsonParser(Parser):
    """Malformed JSON is the client's error (400), not a 500."""

    def parse_body(self, request):
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise LicenseError("INVALID_REQUEST", _("Corps JSON invalide."), status=400) from None
        if not isinstance(data, dict):
            raise LicenseError("INVALID_REQUEST", _("Le corps doit être un objet JSON."), status=400)
        return data


def limit(request: HttpRequest, scope: str, rate: str, ident: str | None = None) -> None:
    """Count one request of `scope` for the client's IP (or `ident`); over `rate`, refuse it."""
    usage = ratelimit.hit(f"licenses:{scope}", ident or client_ip(request), rate)
    if usage.exceeded:
        raise LicenseError(
            "RATE_LIMIT_EXCEEDED",
            _("Trop de requêtes. Réessayez plus tard."),
            status=429,
            retry_after=usage.retry_after,
        )


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None
