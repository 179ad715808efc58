"""Cached pieces of public pages, with the CSRF token punched in per request.

The tracking page and the request forms are read far more often than they change, and
rendering them (template nodes, form widgets, translations) costs several milliseconds
against a fraction of one for a cache read. A piece is rendered once, without the
request, with a placeholder where `{% csrf_token %}` puts the token, stored, and served
to everyone with each visitor's own masked token put in its place: the token is never
cached or shared. What differs between visitors (messages, the language switch, the
header) stays in the page around the piece, rendered per request.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from . import microcache
from .microcache import Microcache

logger = logging.getLogger(__name__)

# Where the token goes. Escaping leaves it as is; text typed by someone that happens to
# contain it would only ever show the reader their own token.
CSRF_HOLE = "csrf-hole-8b3e5f1a0c9d4e72"


def render_piece(template: str, context: dict) -> str:
    """The piece's HTML, rendered without the request: `{% csrf_token %}` writes the hole."""
    return render_to_string(template, {**context, "csrf_token": CSRF_HOLE})


def with_csrf(request, html: str) -> SafeString:
    """The cached piece for this request: its own masked CSRF token (and cookie) filled in."""
    if CSRF_HOLE in html:
        html = html.replace(CSRF_HOLE, csrf_token(request))
    return mark_safe(html)  # our own rendered (escaped) template output


def csrf_token(request) -> str:
    """One masked token per request for all its pieces (masking draws 32 random
    characters: once is enough, and Django's tag would draw again for each form)."""
    token = getattr(request, "_piece_csrf_token", None)
    if token is None:
        token = request._piece_csrf_token = get_token(request)
    return token


def cached_piece(
    request,
    *,
    key: str,
    build: Callable[[], str],
    timeout: int,
    version_key: str | None = None,
    local: Microcache | None = None,
    shared: bool = True,
) -> SafeString:
    """The piece stored under `key`, CSRF filled in; built by `build()` and stored when
    missing or made before the current value of `version_key` (which `changed()`
    replaces when the data behind the piece change). One round trip on a hit, none while
    `local` (a per-process copy) has it; `shared=False` for a piece that only a deploy
    changes: kept in `local` only."""
    keys = [key, version_key] if version_key else [key]
    found = local.get_many(keys) if local is not None else {}
    if len(found) < len(keys) and shared:
        try:
            found = cache.get_many(keys)
        except Exception:  # the cache is down: build it, as without a cache
            found = {}
        if local is not None and key in found:
            local.set_many({**({version_key: ""} if version_key else {}), **found})
    version = found.get(version_key, "") if version_key else ""
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        return with_csrf(request, entry[1])
    html = build()
    if local is not None:
        local.set_many({key: (version, html), **({version_key: version} if version_key else {})})
    if timeout > 0 and shared:
        try:
            cache.set(key, (version, html), timeout)
        except Exception:
            logger.warning("page piece %s not cached: the cache is unavailable", key)
    return with_csrf(request, html)


def changed(version_key: str) -> None:
    """Pieces made with `version_key` are rebuilt once the current transaction commits
    (by this process at once; by others once their microcached copy expires)."""

    def replace() -> None:
        try:
            cache.set(version_key, uuid.uuid4().hex, None)
        except Exception:
            logger.warning("%s not replaced: the cache is unavailable (pieces expire with their TTL)", version_key)
        microcache.public.forget([version_key])  # after Redis: a copy taken meanwhile would be the old one

    transaction.on_commit(replace, robust=True)
