"""Authentication of the platform's APIs: `auth=StaffBearer("app.permission")` for the
staff APIs (JWT), `auth=SessionOrToken()` for the users' APIs (leads, notifications),
`auth=SessionOrAnyToken(...)` for an API both customers and staff call (tickets)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf

from core.errors import DomainError

from . import tokens
from .errors import FORBIDDEN, AuthError
from .models import StaffRefreshToken
from .permissions import require_permission
from .personal_tokens import TOKEN_PREFIX, user_for_personal_token
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


@dataclass(frozen=True)
class Caller:
    """Who calls, and how they proved it (`request.auth` of SessionOrAnyToken)."""

    SESSION = "session"
    PERSONAL_TOKEN = "personal_token"  # noqa: S105 - a way in, not a secret
    STAFF_TOKEN = "staff_token"  # noqa: S105 - a way in, not a secret
    ANONYMOUS = "anonymous"

    user: object
    via: str

    @property
    def may_act_as_staff(self) -> bool:
        """Staff powers come with the session or the staff token, never with a personal
        token: those never expire and are not bound to the password, so a staff member's
        personal token opens what any customer's does."""
        return self.via in (self.SESSION, self.STAFF_TOKEN) and self.user.is_active and self.user.is_staff

    def has_staff_permission(self, permission: str) -> bool:
        return self.may_act_as_staff and self.user.has_perm(permission)


class SessionOrAnyToken(SessionOrToken):
    """SessionOrToken, plus the staff access token: `Authorization: Bearer pt_...` is a
    personal token, any other bearer a staff JWT (checked by staff_user_from_access_token:
    a bad one is 401 INVALID_TOKEN or TOKEN_EXPIRED), else the session with CSRF for
    unsafe methods. `request.auth` is a Caller.

    `permission`: the endpoint is staff-only and requires it (403 FORBIDDEN without it,
    or through a personal token). `optional`: a request with no credentials at all is
    let in as anonymous (bad credentials are still refused)."""

    def __init__(self, *, permission: str | None = None, optional: bool = False, csrf: bool = True):
        super().__init__(csrf=csrf)
        self.permission = permission
        self.optional = optional

    def __call__(self, request: HttpRequest):
        caller = self._caller(request)
        if caller is not None and self.permission:
            self._require_staff(caller)
        return caller

    def _caller(self, request: HttpRequest) -> Caller | None:
        scheme, _sep, credentials = request.headers.get("Authorization", "").partition(" ")
        bearer = scheme.lower() == "bearer"
        if bearer and not credentials.strip().startswith(TOKEN_PREFIX):
            request.user = staff_user_from_access_token(credentials.strip())
            return Caller(user=request.user, via=Caller.STAFF_TOKEN)
        user = super().__call__(request)
        if user is not None:
            return Caller(user=user, via=Caller.PERSONAL_TOKEN if bearer else Caller.SESSION)
        if self.optional and not bearer and not self.permission:
            return Caller(user=request.user, via=Caller.ANONYMOUS)
        return None

    def _require_staff(self, caller: Caller) -> None:
        if not caller.may_act_as_staff:
            raise AuthError(
                FORBIDDEN,
                _("Réservé à l'équipe, connectée par session ou par jeton staff (POST /api/v1/admin/token)."),
                details={"permission": self.permission},
            )
        require_permission(caller.user, self.permission)
