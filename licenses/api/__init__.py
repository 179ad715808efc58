"""The EasyFacture license server JSON API, mounted at /api/v1/ (docs at /api/v1/docs).

This module holds the API itself and its status codes; every refusal, whoever raises
it, leaves through the shared envelope's handlers (core.api.EnvelopeApi). The endpoints live in two
routers: `public` (the desktop app) and `admin` (staff, bearer tokens).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from core.api import EnvelopeApi, envelope, hot_path

from . import admin, public
from .common import limit

__all__ = ["api", "envelope", "limit", "validate_hot_path"]

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


class LicenseApi(EnvelopeApi):
    STATUS = STATUS
    unauthorized_message = gettext_lazy("Authentification requise (jeton Bearer).")
    server_error_log = "license API error"

    def get_openapi_operation_id(self, operation) -> str:
        # The ids published before the split into routers (licenses_api_trial...):
        # generated clients keep their method names.
        return f"licenses_api_{operation.view_func.__name__}"

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
