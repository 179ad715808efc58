"""A license as JSON, built in one place: the admin API's list and the webhooks' `data`
send the same object, so a receiver and an API client read the same fields."""

from __future__ import annotations

import math
from datetime import datetime

from django.utils import timezone

from .models import License


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, as every date of the license API is written."""
    return value.isoformat().replace("+00:00", "Z") if value else None


def days_remaining(expires_at: datetime | None, now: datetime | None = None) -> int | None:
    """Whole days left, rounded up (a license expiring in 2 hours has 1 day left); None for lifetime."""
    if expires_at is None:
        return None
    seconds = (expires_at - (now or timezone.now())).total_seconds()
    return max(0, math.ceil(seconds / 86400))


def license_json(lic: License) -> dict:
    """Needs `lic.product` (select_related it when serialising many)."""
    return {
        "id": lic.pk,
        "machine_id": lic.machine_id,
        "product": lic.product.slug,
        "email": lic.email,
        "license_type": lic.license_type,
        "status": lic.status,
        "is_revoked": lic.is_revoked,
        "created_at": iso(lic.created_at),
        "activated_at": iso(lic.activated_at),
        "expires_at": iso(lic.expires_at),
        "days_remaining": days_remaining(lic.expires_at),
        "last_validated_at": iso(lic.last_validated_at),
        "last_heartbeat_at": iso(lic.last_heartbeat_at),
        "revoked_at": iso(lic.revoked_at),
        "revoked_reason": lic.revoked_reason,
        "app_version": lic.app_version,
        "os_info": lic.os_info,
    }
