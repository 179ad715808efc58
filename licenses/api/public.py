"""The desktop app's endpoints: trial, activation, validation, heartbeat, public key."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router

from core.origin import Origin

from .. import services, signing
from ..models import License
from ..serializers import days_remaining, iso
from .common import limit
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
        body["renewal_url"] = lic.product.renewal_url or settings.LICENSE_RENEWAL_URL
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
