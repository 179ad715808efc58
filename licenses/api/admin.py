"""The admin API: staff tokens, revoke/reinstate, license list, activation codes, stats.

The token endpoints issue the platform's one staff token (accounts app); every other
endpoint authenticates it with `StaffBearer(<the permission it requires>)`."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Literal

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

from accounts import services as staff_tokens
from accounts.auth import StaffBearer
from core.api import parse_body_as
from core.origin import Origin
from core.schemas import Page, PageSize

from .. import permissions, selectors, services
from ..errors import LicenseError
from ..models import License, LicenseType, Product
from ..serializers import license_json
from .common import limit
from .schemas import CodesIn, RefreshIn, RevokeIn, TokenIn

router = Router(tags=["admin"])


@router.post("/admin/token", summary="Get an access token (1 h) and a refresh token (7 days)")
def token(request: HttpRequest, payload: TokenIn):
    limit(request, "token", settings.LICENSE_RATE_TOKEN)
    pair = staff_tokens.staff_token_login(request=request, username=payload.username, password=payload.password)
    return asdict(pair)


@router.post("/admin/token/refresh", summary="Exchange a refresh token for a new pair (the old one is spent)")
def token_refresh(request: HttpRequest, payload: RefreshIn):
    limit(request, "token", settings.LICENSE_RATE_TOKEN)
    return asdict(staff_tokens.staff_token_refresh(refresh_token=payload.refresh_token))


@router.post("/admin/token/revoke", summary="Revoke a refresh token's session (log out)")
def token_revoke(request: HttpRequest, payload: RefreshIn):
    limit(request, "token", settings.LICENSE_RATE_TOKEN)
    staff_tokens.staff_token_revoke(refresh_token=payload.refresh_token)
    return {"success": True, "message": _("Session révoquée : ses jetons ne sont plus acceptés.")}


def _machine_licenses(machine_id: str, product: str | None):
    machine_id = machine_id.strip().lower()
    if not services.MACHINE_ID.match(machine_id):
        raise LicenseError("INVALID_MACHINE_ID", _("machine_id doit faire 32 caractères hexadécimaux."))
    licenses = License.objects.select_related("product").filter(machine_id=machine_id)
    if product:
        licenses = licenses.filter(product__slug=product)
    licenses = list(licenses)
    if not licenses:
        raise LicenseError("LICENSE_NOT_FOUND", _("Licence introuvable."))
    return licenses


@router.delete(
    "/admin/licenses/{machine_id}", auth=StaffBearer(permissions.REVOKE), summary="Revoke a machine's licenses"
)
def revoke(request: HttpRequest, machine_id: str, reason: str = Query("", max_length=500), product: str | None = None):
    if not reason and request.body:
        reason = parse_body_as(request, RevokeIn).reason
    licenses = _machine_licenses(machine_id, product)
    for lic in licenses:
        services.license_revoke(license=lic, reason=reason, origin=Origin.from_request(request))
    return {"success": True, "message": _("Licence révoquée avec succès"), "revoked": len(licenses)}


@router.post(
    "/admin/licenses/{machine_id}/reinstate",
    auth=StaffBearer(permissions.REINSTATE),
    summary="Reinstate a machine's revoked licenses",
)
def reinstate(request: HttpRequest, machine_id: str, product: str | None = None):
    licenses = _machine_licenses(machine_id, product)
    for lic in licenses:
        services.license_reinstate(license=lic, origin=Origin.from_request(request))
    return {"success": True, "message": _("Licence rétablie avec succès"), "reinstated": len(licenses)}


@router.get("/admin/licenses", auth=StaffBearer(permissions.VIEW), summary="List licenses (filters, paginated)")
def list_licenses(
    request: HttpRequest,
    type: Literal["trial", "monthly", "annual", "lifetime"] | None = None,  # noqa: A002 - the API's name
    status: Literal["active", "expired", "revoked"] | None = None,
    product: str | None = None,
    email: str | None = None,
    page: Page = 1,
    page_size: PageSize = 50,
):
    qs = selectors.license_list(license_type=type, status=status, product=product, email=email)
    total = qs.count()
    items = [license_json(lic) for lic in qs[(page - 1) * page_size : page * page_size]]
    return {
        "success": True,
        "items": items,
        "total": total,
        "page": page,
        "page_size": page_size,
        "pages": max(1, math.ceil(total / page_size)),
    }


@router.post(
    "/admin/activation-codes", auth=StaffBearer(permissions.GENERATE_CODES), summary="Generate activation codes"
)
def create_codes(request: HttpRequest, payload: CodesIn):
    product = Product.objects.filter(slug=payload.product).first()
    if product is None:
        raise LicenseError("INVALID_PRODUCT", _("Produit inconnu."), details={"product": payload.product})
    if payload.license_type != LicenseType.LIFETIME and not payload.duration_days:
        raise LicenseError(
            "INVALID_REQUEST",
            _("Durée requise."),
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


@router.get("/admin/stats", auth=StaffBearer(permissions.VIEW_STATS), summary="License statistics")
def stats(request: HttpRequest):
    return {"success": True, **selectors.license_stats_json()}
