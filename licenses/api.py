"""The EasyFacture license server JSON API, mounted at /api/v1/ (docs at /api/v1/docs)."""

from __future__ import annotations

import json
import logging
import math
from datetime import datetime
from typing import Literal

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.http import Http404, HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from pydantic import Field, field_validator

from core import limits
from core.errors import RateLimited
from core.origin import Origin

from . import selectors, services, signing
from .auth import AdminBearer, can_manage, issue_tokens, user_from_token
from .errors import LicenseError
from .models import License, LicenseType, Product

logger = logging.getLogger(__name__)


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


api = NinjaAPI(
    title="EasyFacture License Server",
    version="1.0.0",
    urls_namespace="licenses-api",
    parser=StrictJsonParser(),
    description="Trials, activation, online validation with signed (Ed25519) keys, heartbeats, admin.",
)


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


@api.exception_handler(LicenseError)
def _license_error(request, exc: LicenseError):
    return envelope(request, exc.code, exc.message, exc.status, exc.details, **exc.extra)


@api.exception_handler(RateLimited)
def _rate_limited(request, exc: RateLimited):
    return envelope(request, "RATE_LIMIT_EXCEEDED", exc.message, 429, retry_after=exc.retry_after)


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    details, code = {}, "INVALID_REQUEST"
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", []) if part not in ("body", "payload", "query", "path")]
        field = ".".join(loc) or "body"
        details.setdefault(field, error.get("msg", "invalid"))
        if loc[:1] == ["machine_id"] and code == "INVALID_REQUEST":
            code = "MACHINE_ID_REQUIRED" if error.get("type") == "missing" else "INVALID_MACHINE_ID"
    return envelope(request, code, _("Requête invalide."), 422, details)


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return envelope(request, "UNAUTHORIZED", _("Authentification requise (jeton Bearer)."), 401)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return envelope(request, "INVALID_REQUEST", str(exc), exc.status_code)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return envelope(request, "NOT_FOUND", _("Ressource introuvable."), 404)


@api.exception_handler(Exception)
def _server_error(request, exc):
    logger.exception("license API error", extra={"request_id": getattr(request, "request_id", "")})
    return envelope(request, "SERVER_ERROR", _("Erreur interne du serveur."), 500)


# --- helpers ----------------------------------------------------------------------


def limit(request: HttpRequest, scope: str, rate: str, ident: str | None = None) -> None:
    limits.enforce(
        request, group=f"licenses:{scope}", rate=rate, ident=ident, message=_("Trop de requêtes. Réessayez plus tard.")
    )


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


class MachineIn(Schema):
    machine_id: str = Field(..., description="32 hexadecimal characters (case-insensitive)")

    @field_validator("machine_id")
    @classmethod
    def _machine_id(cls, value: str) -> str:
        value = value.strip().lower()
        if not services.MACHINE_ID.match(value):
            raise ValueError("machine_id must be exactly 32 hexadecimal characters")
        return value


def _email(value: str) -> str:
    value = value.strip()
    try:
        validate_email(value)
    except DjangoValidationError:
        raise ValueError("invalid e-mail address") from None
    return value.lower()


class TrialIn(MachineIn):
    email: str
    product: str = Field(..., max_length=50)
    version: str = Field("", max_length=20)

    _check_email = field_validator("email")(classmethod(lambda cls, v: _email(v)))


class ActivateIn(MachineIn):
    activation_code: str = Field(..., max_length=40)
    email: str

    _check_email = field_validator("email")(classmethod(lambda cls, v: _email(v)))


class ValidateIn(MachineIn):
    license_key: str = Field(..., max_length=signing.MAX_KEY_LENGTH)


class HeartbeatIn(ValidateIn):
    app_version: str = Field("", max_length=20)
    os_info: str = Field("", max_length=200)


def license_answer(lic: License, message: str) -> dict:
    return {
        "success": True,
        "license_key": lic.license_key,
        "license_type": lic.license_type,
        "expires_at": iso(lic.expires_at),
        "days_remaining": services.days_remaining(lic.expires_at),
        "message": message,
    }


# --- public endpoints ----------------------------------------------------------------


@api.post("/licenses/trial", tags=["licenses"], summary="Request a 30-day trial")
def trial(request: HttpRequest, payload: TrialIn):
    limit(request, "trial", settings.LICENSE_RATE_TRIAL)
    lic = services.license_trial_create(
        product_slug=payload.product,
        machine_id=payload.machine_id,
        email=payload.email,
        origin=Origin.from_request(request, app_version=payload.version),
    )
    return JsonResponse(license_answer(lic, _("Licence trial créée avec succès")), status=201)


@api.post("/licenses/activate", tags=["licenses"], summary="Activate a paid license with a code")
def activate(request: HttpRequest, payload: ActivateIn):
    limit(request, "activate", settings.LICENSE_RATE_ACTIVATE)
    lic = services.license_activate(
        machine_id=payload.machine_id,
        activation_code=payload.activation_code,
        email=payload.email,
        origin=Origin.from_request(request),
    )
    return JsonResponse(license_answer(lic, _("Licence activée avec succès")))


@api.post("/licenses/validate", tags=["licenses"], summary="Validate a license online")
def validate(request: HttpRequest, payload: ValidateIn):
    limit(request, "validate", settings.LICENSE_RATE_VALIDATE)
    result = services.license_validate(
        machine_id=payload.machine_id, license_key=payload.license_key, origin=Origin.from_request(request)
    )
    lic, now = result.license, timezone.now()
    if result.valid:
        return JsonResponse(
            {
                "success": True,
                "valid": True,
                "license_type": lic.license_type,
                "expires_at": iso(lic.expires_at),
                "days_remaining": services.days_remaining(lic.expires_at, now),
                "is_active": True,
                "customer_email": lic.email,
                "license_key": lic.license_key,
                "server_time": iso(now),
            }
        )
    body = {"success": True, "valid": False, "error": result.error, "message": result.message, "server_time": iso(now)}
    if result.error == "LICENSE_EXPIRED":
        body["expired_at"] = iso(lic.expires_at)
        body["renewal_url"] = lic.product.renewal_url or settings.LICENSE_RENEWAL_URL
    return JsonResponse(body)


@api.post("/licenses/heartbeat", tags=["licenses"], summary="Report that the app is running")
def heartbeat(request: HttpRequest, payload: HeartbeatIn):
    limit(request, "heartbeat", settings.LICENSE_RATE_HEARTBEAT, ident=payload.machine_id)
    lic = services.license_heartbeat(
        machine_id=payload.machine_id,
        license_key=payload.license_key,
        app_version=payload.app_version,
        os_info=payload.os_info,
        origin=Origin.from_request(request, app_version=payload.app_version),
    )
    return {"success": True, "message": _("Heartbeat enregistré"), "last_check": iso(lic.last_heartbeat_at)}


@api.get("/licenses/public-key", tags=["licenses"], summary="Public key to verify license keys offline")
def public_key(request: HttpRequest):
    ring = signing.keyring()
    return {
        "algorithm": "Ed25519",
        "key_id": ring.signing_key_id,
        "public_key": ring.public_key_b64(ring.signing_key_id),
        "keys": [{"key_id": kid, "public_key": ring.public_key_b64(kid)} for kid in ring.verify_keys],
    }


# --- admin ---------------------------------------------------------------------------


class TokenIn(Schema):
    username: str = Field(..., max_length=150)
    password: str = Field(..., max_length=256)


class RefreshIn(Schema):
    refresh_token: str = Field(..., max_length=2048)


@api.post("/admin/token", tags=["admin"], summary="Get an access token (1 h) and a refresh token (7 days)")
def token(request: HttpRequest, payload: TokenIn):
    limit(request, "token", settings.LICENSE_RATE_TOKEN)
    user = authenticate(request, username=payload.username, password=payload.password)
    if not can_manage(user):
        raise LicenseError("INVALID_CREDENTIALS", _("Identifiants invalides ou droits insuffisants."), status=401)
    return issue_tokens(user)


@api.post("/admin/token/refresh", tags=["admin"], summary="Exchange a refresh token for new tokens")
def token_refresh(request: HttpRequest, payload: RefreshIn):
    limit(request, "token", settings.LICENSE_RATE_TOKEN)
    return issue_tokens(user_from_token(payload.refresh_token, "refresh"))


def _machine_licenses(machine_id: str, product: str | None):
    machine_id = machine_id.strip().lower()
    if not services.MACHINE_ID.match(machine_id):
        raise LicenseError("INVALID_MACHINE_ID", _("machine_id doit faire 32 caractères hexadécimaux."), status=422)
    licenses = License.objects.select_related("product").filter(machine_id=machine_id)
    if product:
        licenses = licenses.filter(product__slug=product)
    licenses = list(licenses)
    if not licenses:
        raise LicenseError("LICENSE_NOT_FOUND", _("Licence introuvable."), status=404)
    return licenses


class RevokeIn(Schema):
    reason: str = Field("", max_length=500)


@api.delete("/admin/licenses/{machine_id}", auth=AdminBearer(), tags=["admin"], summary="Revoke a machine's licenses")
def revoke(request: HttpRequest, machine_id: str, reason: str = "", product: str | None = None):
    if not reason and request.body:
        reason = RevokeIn(**StrictJsonParser().parse_body(request)).reason
    licenses = _machine_licenses(machine_id, product)
    for lic in licenses:
        services.license_revoke(license=lic, reason=reason, origin=Origin.from_request(request))
    return {"success": True, "message": _("Licence révoquée avec succès"), "revoked": len(licenses)}


@api.post(
    "/admin/licenses/{machine_id}/reinstate",
    auth=AdminBearer(),
    tags=["admin"],
    summary="Reinstate a machine's revoked licenses",
)
def reinstate(request: HttpRequest, machine_id: str, product: str | None = None):
    licenses = _machine_licenses(machine_id, product)
    for lic in licenses:
        services.license_reinstate(license=lic, origin=Origin.from_request(request))
    return {"success": True, "message": _("Licence rétablie avec succès"), "reinstated": len(licenses)}


def license_out(lic: License) -> dict:
    return {
        "id": lic.pk,
        "machine_id": lic.machine_id,
        "product": lic.product.slug,
        "email": lic.email,
        "license_type": lic.license_type,
        "status": lic.status,
        "created_at": iso(lic.created_at),
        "activated_at": iso(lic.activated_at),
        "expires_at": iso(lic.expires_at),
        "days_remaining": services.days_remaining(lic.expires_at),
        "last_validated_at": iso(lic.last_validated_at),
        "last_heartbeat_at": iso(lic.last_heartbeat_at),
        "revoked_at": iso(lic.revoked_at),
        "revoked_reason": lic.revoked_reason,
        "app_version": lic.app_version,
        "os_info": lic.os_info,
    }


@api.get("/admin/licenses", auth=AdminBearer(), tags=["admin"], summary="List licenses (filters, paginated)")
def list_licenses(
    request: HttpRequest,
    type: Literal["trial", "monthly", "annual", "lifetime"] | None = None,  # noqa: A002 - the API's name
    status: Literal["active", "expired", "revoked"] | None = None,
    product: str | None = None,
    email: str | None = None,
    page: int = Query(1, ge=1),
    page_size: int = Query(50, ge=1, le=200),
):
    qs = selectors.license_list(license_type=type, status=status, product=product, email=email)
    total = qs.count()
    items = [license_out(lic) for lic in qs[(page - 1) * page_size : page * page_size]]
    return {
        "success": True,
        "items": items,
        "total": total,
        "page": page,
        "page_size": page_size,
        "pages": max(1, math.ceil(total / page_size)),
    }


class CodesIn(Schema):
    license_type: Literal["monthly", "annual", "lifetime"]
    duration_days: int | None = Field(None, ge=1, le=36500)
    count: int = Field(1, ge=1, le=1000)
    expires_at: datetime | None = None
    notes: str = Field("", max_length=2000)
    product: str = "easyfacture"


@api.post("/admin/activation-codes", auth=AdminBearer(), tags=["admin"], summary="Generate activation codes")
def create_codes(request: HttpRequest, payload: CodesIn):
    product = Product.objects.filter(slug=payload.product).first()
    if product is None:
        raise LicenseError("INVALID_PRODUCT", _("Produit inconnu."), status=422, details={"product": payload.product})
    if payload.license_type != LicenseType.LIFETIME and not payload.duration_days:
        raise LicenseError(
            "INVALID_REQUEST",
            _("Durée requise."),
            status=422,
            details={"duration_days": _("Requis sauf pour lifetime.")},
        )
    codes = services.activation_codes_generate(
        product=product,
        license_type=payload.license_type,
        duration_days=payload.duration_days,
        count=payload.count,
        expires_at=payload.expires_at,
        notes=payload.notes,
        created_by=request.user,
    )
    return JsonResponse({"codes": [c.code for c in codes]}, status=201)


@api.get("/admin/stats", auth=AdminBearer(), tags=["admin"], summary="License statistics")
def stats(request: HttpRequest):
    return {"success": True, **selectors.license_stats_json()}
