"""Bearer authentication of the staff APIs: `auth=StaffBearer("app.permission")`."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from ninja.security import HttpBearer

from . import tokens
from .models import StaffRefreshToken
from .permissions import require_permission
from .services import refusal_reason


def staff_user_from_access_token(token: str):
    """The user an access token stands for, checked at every request: the session is
    not revoked, the user is active, their password is the one the token was issued
    under, and they still hold an API permission. Otherwise AuthError INVALID_TOKEN
    (or TOKEN_EXPIRED)."""
    claims = tokens.decode(token, typ=tokens.ACCESS)
    revoked = StaffRefreshToken.objects.filter(family=claims.family, revoked_at__isnull=False, user=OuterRef("pk"))
    user = get_user_model().objects.annotate(session_revoked=Exists(revoked)).filter(pk=claims.user_pk).first()
    if user is None or user.session_revoked or refusal_reason(user, claims) is not None:
        raise tokens.invalid()
    return user


class StaffBearer(HttpBearer):
    """Authenticates the staff token, then requires the endpoint's own permission
    (403 FORBIDDEN without it). One instance per permission; a router can take one
    for all its endpoints."""

    def __init__(self, permission: str):
        super().__init__()
        self.permission = permission

    def authenticate(self, request: HttpRequest, token: str):
        user = staff_user_from_access_token(token)
        require_permission(user, self.permission)
        request.user = user
        return user
