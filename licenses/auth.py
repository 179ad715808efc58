"""Admin API tokens: HS256 JWTs, access 1 hour, refresh 7 days, for active staff users
who hold at least one of the admin API's permissions (licenses.permissions.API); each
endpoint checks its own permission on every request (AdminBearer(permission))."""

from __future__ import annotations

import uuid
from datetime import timedelta

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from . import permissions
from .errors import LicenseError

ISSUER = "easyfacture-license-server"


def _secret() -> str:
    return settings.JWT_SECRET or settings.SECRET_KEY


def can_use_api(user) -> bool:
    return bool(user and user.is_active and user.is_staff and permissions.has_any(user, permissions.API))


def _encode(user, typ: str, seconds: int) -> str:
    now = timezone.now()
    claims = {
        "sub": str(user.pk),
        "typ": typ,
        "iat": now,
        "exp": now + timedelta(seconds=seconds),
        "iss": ISSUER,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, _secret(), algorithm="HS256")


def issue_tokens(user) -> dict:
    return {
        "access_token": _encode(user, "access", settings.JWT_ACCESS_SECONDS),
        "refresh_token": _encode(user, "refresh", settings.JWT_REFRESH_SECONDS),
        "token_type": "bearer",
        "expires_in": settings.JWT_ACCESS_SECONDS,
    }


def user_from_token(token: str, typ: str):
    """The user a valid token of type `typ` was issued to, or LicenseError INVALID_TOKEN / TOKEN_EXPIRED."""
    try:
        claims = jwt.decode(
            token, _secret(), algorithms=["HS256"], issuer=ISSUER, options={"require": ["exp", "sub", "typ"]}
        )
    except jwt.ExpiredSignatureError:
        raise LicenseError("TOKEN_EXPIRED", _("Le jeton a expiré.")) from None
    except jwt.InvalidTokenError:
        raise LicenseError("INVALID_TOKEN", _("Jeton invalide.")) from None
    if claims.get("typ") != typ:
        raise LicenseError("INVALID_TOKEN", _("Jeton invalide."))
    user = get_user_model().objects.filter(pk=claims["sub"]).first()
    # Permissions are checked on every request: removing them cuts access at once.
    if not can_use_api(user):
        raise LicenseError("INVALID_TOKEN", _("Jeton invalide."))
    return user


class AdminBearer(HttpBearer):
    """A valid access token of a user holding `permission` (the endpoint's action)."""

    def __init__(self, permission: str):
        super().__init__()
        self.permission = permission

    def authenticate(self, request, token: str):
        user = user_from_token(token, "access")
        if not user.has_perm(self.permission):
            raise LicenseError(
                "FORBIDDEN",
                _("Vous n'avez pas la permission de faire cette action."),
                details={"permission": self.permission},
            )
        request.user = user
        return user
