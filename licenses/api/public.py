"""The desktop app's endpoints: trial, activation, validation, heartbeat, public key."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router

from core.api import json_body_fields
from core.origin import Origin

from .. import services, signing
from ..models import License
from ..serializers import days_remaining, iso
from .common import counter, limit
from .schemas import ActivateIn, HeartbeatIn, TrialIn, ValidateIn

router = Router(tags=["licenses"])


def license_answer(lic: License, message: str) -> dict:
    return {
        "success": True,
        "license_key": lic.license_key,
        "license_type": lic.license_type,
        "expires_at": iso(lic.expires_at),
        "days_remaining": days_remaining(lic.expires_at),
        "message": message,
    }


@router.post("/licenses/trial", summary="Request a 30-day trial")
def trial(request: HttpRequest, payload: TrialIn):
    limit(request, "trial", settings.LICENSE_RATE_TRIAL)
    lic = services.license_trial_create(
        product_slug=payload.product,
        machine_id=payload.machine_id,
        email=payload.email,
        origin=Origin.from_request(request, app_version=payload.version),
    )
    return JsonResponse(license_answer(lic, _("Licence trial créée avec succès")), status=201)


@router.post("/licenses/activate", summary="Activate a paid license with a code")
def activate(request: HttpRequest, payload: ActivateIn):
    limit(request, "activate", settings.LICENSE_RATE_ACTIVATE)
    lic = services.license_activate(
        machine_id=payload.machine_id,
        activation_code=payload.activation_code,
        email=payload.email,
        origin=Origin.from_request(request),
    )
    return JsonResponse(license_answer(lic, _("Licence activée avec succès")))


@router.post("/licenses/validate", summary="Validate a license online")
def validate(request: HttpRequest, payload: ValidateIn):
    return validation_answer(request, machine_id=payload.machine_id, license_key=payload.license_key)


def validate_fast(request: HttpRequest) -> JsonResponse | None:
    """The hot path of validate (core.api.hot_path): a well-formed request is answered
    here, anything else by the operation above, as before."""
    if request.method != "POST":
        return None
    body = json_body_fields(request, VALIDATE_FIELDS)
    if body is None or len(body["license_key"]) > signing.MAX_KEY_LENGTH:
        return None
    machine_id = services.machine_id_normalize(body["machine_id"])  # as ValidateIn does
    if machine_id is None:
        return None
    return validation_answer(request, machine_id=machine_id, license_key=body["license_key"])


VALIDATE_FIELDS = frozenset({"machine_id", "license_key"})


def validation_answer(request: HttpRequest, *, machine_id: str, license_key: str) -> JsonResponse:
    # Counted by the service, in the round trip that also records the validation.
    result = services.license_validate(
        machine_id=machine_id,
        license_key=license_key,
        origin=Origin.from_request(request),
        rate_limit=counter(request, "validate", settings.LICENSE_RATE_VALIDATE),
    )
    lic, now = result.license, timezone.now()
    if result.valid:
        return JsonResponse(
            {
                "success": True,
                "valid": True,
                "license_type": lic.license_type,
                "expires_at": iso(lic.expires_at),
                "days_remaining": days_remaining(lic.expires_at, now),
                "is_active": True,
                "customer_email": lic.email,
                "license_key": lic.license_key,
                "server_time": iso(now),
            }
        )
    body = {"success": True, "valid": False, "error": result.error, "message": result.message, "server_time": iso(now)}
    if result.error == "LICENSE_EXPIRED":
        body["expired_at"] = iso(lic.expires_at)
        body["renewal_url"] = lic.renewal_url or settings.LICENSE_RENEWAL_URL
    return JsonResponse(body)


@router.post("/licenses/heartbeat", summary="Report that the app is running")
def heartbeat(request: HttpRequest, payload: HeartbeatIn):
    # Per IP first: the per-machine limit alone is keyed on what the client sends, so a
    # fresh machine_id per call would never be limited.
    limit(request, "heartbeat-ip", settings.LICENSE_RATE_HEARTBEAT_IP)
    limit(request, "heartbeat", settings.LICENSE_RATE_HEARTBEAT, ident=payload.machine_id)
    lic = services.license_heartbeat(
        machine_id=payload.machine_id,
        license_key=payload.license_key,
        app_version=payload.app_version,
        os_info=payload.os_info,
        origin=Origin.from_request(request, app_version=payload.app_version),
    )
    return {"success": True, "message": _("Heartbeat enregistré"), "last_check": iso(lic.last_heartbeat_at)}


@router.get("/licenses/public-key", summary="Public key to verify license keys offline")
def public_key(request: HttpRequest):
    ring = signing.keyring()
    return {
        "algorithm": "Ed25519",
        "key_id": ring.signing_key_id,
        "public_key": ring.public_key_b64(ring.signing_key_id),
        "keys": [{"key_id": kid, "public_key": ring.public_key_b64(kid)} for kid in ring.verify_keys],
    }
