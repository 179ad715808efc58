"""The chrome every public page shares: the head's links, the header (brand, menu,
language switch) and the footer. They depend only on the language (and the year, in the
footer), so each is rendered once per process and language instead of at every request;
what belongs to the request (the CSRF token of the language switch, the page to come
back to, who is logged in: accounts.menu) is filled in per request.
"""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from .fragments import render_piece, with_csrf

NEXT_HOLE = "next-hole-3c1f9a7e5b2d4c60"
ACCOUNT_HOLE = "<!--account-hole-5e0b7c2a9d14f3e8-->"
_rendered: dict[tuple, str] = {}


def _piece(name: str, language: str) -> str:
    key = (name, language, timezone.localdate().year, settings.PLATFORM_NAME, settings.STATIC_URL)
    html = _rendered.get(key)
    if html is None:
        context = {
            "PLATFORM_NAME": settings.PLATFORM_NAME,
            "LANGUAGE_CODE": language,
            "next_path": NEXT_HOLE,
            "account_hole": ACCOUNT_HOLE,
        }
        html = _rendered[key] = render_piece(f"core/_{name}.html", context)
    return html


class Chrome:
    """`{{ chrome.head }}`, `{{ chrome.header }}`, `{{ chrome.footer }}` in base.html."""

    def __init__(self, request):
        self.request = request
        self.language = get_language() or settings.LANGUAGE_CODE

    @cached_property
    def head(self) -> SafeString:
        return mark_safe(_piece("head", self.language))  # our own rendered template

    @cached_property
    def header(self) -> SafeString:
        from accounts.menu import account_menu

        # The token first, then the account menu (our own HTML, with its own tokens), the
        # path last: a path that contains a hole's text must stay text.
        html = with_csrf(self.request, _piece("header", self.language))
        html = html.replace(ACCOUNT_HOLE, account_menu(self.request), 1)
        return mark_safe(html.replace(NEXT_HOLE, escape(self.request.get_full_path())))  # escaped just here

    @cached_property
    def footer(self) -> SafeString:
        return mark_safe(_piece("footer", self.language))  # our own rendered template

    @cached_property
    def htmx(self) -> SafeString:
        """htmx and its CSRF hook for a public page that needs them (the tracking page's
        conversation); empty for logged-in users, whose account menu already loads them.
        Rendered once per process: static URL lookups cost more than the rest of it."""
        if self.request.user.is_authenticated:
            return mark_safe("")
        return mark_safe(_piece("htmx", self.language))  # our own rendered template
