"""Which permissions open the staff APIs, and the check each API makes on every request.

Each app declares the permissions its API checks as `api_permissions` on its AppConfig
(e.g. `LicensesConfig.api_permissions = ["licenses.view_license", ...]`). A staff token is
issued to an active staff user holding at least one of them; the token says who the
user is, never what they may do: each endpoint checks its own permission with
`require_permission()` at every request, so removing a permission takes effect at once.
"""

from __future__ import annotations

from functools import cache

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from .errors import FORBIDDEN, AuthError


@cache
def api_permissions() -> frozenset[str]:
    """Every permission some staff API checks ("app_label.codename"); the app registry
    is fixed once Django is set up, so it is read once."""
    return frozenset(
        permission for config in apps.get_app_configs() for permission in getattr(config, "api_permissions", ())
    )


def has_api_access(user) -> bool:
    """May `user` hold a staff token at all: active, staff, and at least one API permission."""
    if user is None or not user.is_active or not user.is_staff:
        return False
    return any(user.has_perm(permission) for permission in api_permissions())


def require_permission(user, permission: str) -> None:
    """Refuse (AuthError FORBIDDEN) unless `user` holds `permission`."""
    # A permission an endpoint checks but no app declares would let users holding only
    # that permission pass the check yet never get a token: a programming error.
    if permission not in api_permissions():
        raise ImproperlyConfigured(f"{permission} is checked by an API but declared in no AppConfig.api_permissions.")
    if not user.has_perm(permission):
        raise AuthError(
            FORBIDDEN,
            _("Vous n'avez pas la permission requise pour cette action."),
            details={"permission": permission},
        )
