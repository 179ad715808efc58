"""The account part of every page's header, rendered per request into the cached
header (core.chrome): "Se connecter" for visitors; the user's name, the items other
apps register (the notification bell) and "Se déconnecter" for a logged-in user.

A visitor without a session cookie costs no query and no template: the session
middleware's user is not even loaded (as in core.origin.Origin.from_request).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.fragments import render_piece, with_csrf

logger = logging.getLogger(__name__)

MenuItem = Callable[[HttpRequest], str]
_items: list[MenuItem] = []
_login_links: dict[str, str] = {}


def register_menu_item(render: MenuItem) -> None:
    """Add `render(request)` (HTML) before the user's name in a logged-in user's header."""
    if render not in _items:
        _items.append(render)


def logged_in_user(request: HttpRequest):
    """The request's user if logged in, else None; without a session cookie, None
    without loading anything."""
    user = getattr(request, "user", None)
    if isinstance(user, SimpleLazyObject) and settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return None
    return user if user is not None and user.is_authenticated else None


def _login_link(request: HttpRequest) -> str:
    language = get_language() or settings.LANGUAGE_CODE
    template = _login_links.get(language)
    if template is None:
        # One string per language; the page to come back to is added per request.
        href, label = escape(reverse("accounts:login")), escape(_("Se connecter"))
        template = _login_links[language] = f'<a class="account-login" href="{href}?next=%s">{label}</a>'

    path = request.get_full_path()
    if path.startswith(reverse("accounts:login")):
        path = reverse("accounts:home")
    return template % escape(quote(path, safe="/"))


def account_menu(request: HttpRequest) -> str:
    try:
        user = logged_in_user(request)
        if user is None:
            return _login_link(request)
        context = {
            "name": user.get_full_name() or user.get_username(),
            "items": [item(request) for item in _items],
        }
        return with_csrf(request, render_piece("accounts/_account_menu.html", context))
    except Exception:
        # The header is on every page, the error pages too: a database that cannot load
        # the user (the 500 page of an outage) must not break the page around it.
        logger.exception("account menu not rendered")
        return ""
