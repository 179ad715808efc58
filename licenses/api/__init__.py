"""The EasyFacture license server JSON API, mounted at /api/v1/ (docs at /api/v1/docs).

This module holds the API itself and its error envelope: every refusal, whoever raises
it, leaves through one of the exception handlers below. The endpoints live in two
routers: `public` (the desktop app) and `admin` (staff, bearer tokens).
"""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError

from core.api import PlatformApi, hot_path
from core.errors import DomainError, RateLimited

from . import admin, public
from .common import limit

__all__ = ["api", "envelope", "limit", "validate_hot_path"]

logger = logging.getLogger(__name__)


class LicenseApi(PlatformApi):
    def get_openapi_operation_id(self, operation) -> str:
        # The ids published before the split into routers (licenses_api_trial...):
        # generated clients keep their method names.
        return f"licenses_api_{operation.view_func.__name__}"

    def error_response(self, request, *, status, code, message, details=None):
        return envelope(request, code, message, status, details)

    def validation_error_code(self, fields):
        # The desktop client tells a missing machine_id from a malformed one.
        for name, error in fields:
            if name == "machine_id":
                return "MACHINE_ID_REQUIRED" if error.get("type") == "missing" else "INVALID_MACHINE_ID"
        return "INVALID_REQUEST"


api = LicenseApi(
    title="EasyFacture License Server",
    version="1.0.0",
    urls_namespace="licenses-api",
    description="Trials, activation, online validation with signed (Ed25519) keys, heartbeats, admin.",
)
api.add_router("", public.router)
api.add_router("", admin.router)
# POST /api/v1/licenses/validate, every EasyFacture start: mounted before the API's URLs.
validate_hot_path = hot_path(api, "licenses/validate", public.validate_fast)


# --- error envelope -------------------------------------------------------------


def envelope(request: HttpRequest, code: str, message: str, status: int, details: dict | None = None, **extra):
    body = {
        "success": False,
        "error": code,
        "message": message,
        "details": details or {},
        "timestamp": timezone.now().isoformat(),
        "request_id": getattr(request, "request_id", ""),
        **extra,
    }
    response = JsonResponse(body, status=status)
    if "retry_after" in extra:
        response["Retry-After"] = str(extra["retry_after"])
    return response


# The HTTP status of each refusal the license services (and this API) raise. A code
# missing here answers 400: a refusal is still the client's error, never a 500.
STATUS = {
    "INVALID_REQUEST": 422,
    "INVALID_PRODUCT": 422,
    "INVALID_MACHINE_ID": 422,
    "INVALID_CREDENTIALS": 401,
    "INVALID_TOKEN": 401,
    "TOKEN_EXPIRED": 401,
    "FORBIDDEN": 403,
    "LICENSE_REVOKED": 403,
    "MACHINE_MISMATCH": 403,
    "LICENSE_NOT_FOUND": 404,
    "INVALID_ACTIVATION_CODE": 404,
    "TRIAL_ALREADY_EXISTS": 409,
    "TRIAL_LIMIT_REACHED": 409,
    "LICENSE_ALREADY_LIFETIME": 409,
}


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    return envelope(request, exc.code, exc.message, STATUS.get(exc.code, 400), exc.details, **exc.extra)


@api.exception_handler(RateLimited)
def _rate_limited(request, exc: RateLimited):
    # The API's documented code, whatever the platform's limiter calls it.
    return envelope(request, "RATE_LIMIT_EXCEEDED", exc.message, 429, exc.details, retry_after=exc.retry_after)


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return envelope(request, "UNAUTHORIZED", _("Authentification requise (jeton Bearer)."), 401)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return envelope(request, "NOT_FOUND", _("Ressource introuvable."), 404)


@api.exception_handler(Exception)
def _server_error(request, exc):
    logger.exception("license API error", extra={"request_id": getattr(request, "request_id", "")})
    return envelope(request, "SERVER_ERROR", _("Erreur interne du serveur."), 500)
