"""Authentication of the platform's APIs: `auth=StaffBearer("app.permission")` for the
staff APIs (JWT), `auth=SessionOrToken()` for the users' APIs (leads, notifications)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf

from core.errors import DomainError

from . import tokens
from .models import StaffRefreshToken
from .permissions import require_permission
from .personal_tokens import user_for_personal_token
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


class SessionOrToken(SessionAuth):
    """A personal API token (`Authorization: Bearer pt_...`) or the browser's session.

    A request carrying a bearer token is judged on it alone (a bad token is a 401, even
    with a session cookie). Otherwise the logged-in session's user, with Django's CSRF
    check for unsafe methods (ninja's SessionAuth, csrf=True): a page's script sends the
    token (X-CSRFToken), another site cannot. Without a session cookie, no CSRF check:
    the answer is the 401 of a missing authentication, not a 403. Sets request.user."""

    def __call__(self, request: HttpRequest):
        scheme, _sep, credentials = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            user = user_for_personal_token(credentials.strip())
            if user is not None:
                request.user = user
            return user
        if settings.SESSION_COOKIE_NAME not in request.COOKIES or not request.user.is_authenticated:
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise DomainError("CSRF_FAILED", _("Jeton CSRF manquant ou invalide."))
        return request.user
