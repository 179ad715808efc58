"""Who did something and from where: one value for every audit row of the platform
(tracking history, license activity, later tickets and payments)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


@dataclass(frozen=True)
class Origin:
    """The acting user (None for customers and the system), the client IP, its user
    agent and, for the desktop app, its version. Kept for staff, never shown publicly."""

    actor: AbstractBaseUser | None = None
    ip: str | None = None
    user_agent: str = ""
    app_version: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest, *, app_version: str = "") -> Origin:
        from .http import client_ip

        user = getattr(request, "user", None)
        if isinstance(user, SimpleLazyObject) and settings.SESSION_COOKIE_NAME not in request.COOKIES:
            # The session middleware's user, not loaded yet, without a session cookie: it
            # is anonymous, no need to load it (the desktop app's calls, on the license
            # server's hot path). A user set by a bearer token is a real object: kept.
            user = None
        return cls(
            actor=user if user is not None and user.is_authenticated else None,
            ip=client_ip(request),
            user_agent=request.headers.get("User-Agent", "")[:300],
            app_version=app_version[:20],
        )


# Beat jobs, data migrations and the demo: no user, no address.
SYSTEM = Origin()
