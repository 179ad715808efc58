"""View helpers other apps use to act on a tracked item from its public number
(e.g. a customer answering a quote), with the tracking pages' protections."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.signing import BadSignature
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from core.errors import RateLimited
from core.views import ratelimited

from . import numbers, registry, throttle
from .selectors import tracking_lookup

T = TypeVar("T")

# The numbers this browser created or opened stay reachable when the failed-lookup
# limit blocks the client's IP, which carrier-grade NAT shares with other customers'
# typos; the limit still refuses everything else, so guessing gains nothing. The
# cookie holds keyed hashes, never the numbers: on a shared computer it reveals none.
KNOWN_COOKIE = "tracking_known"
KNOWN_SALT = "tracking.known-numbers"
KNOWN_MAX = 10
KNOWN_MAX_AGE = 90 * 24 * 3600


def _fingerprint(number: str) -> str:
    return salted_hmac(KNOWN_SALT, number).hexdigest()[:20]


def _known(request: HttpRequest) -> list[str]:
    try:
        value = request.get_signed_cookie(KNOWN_COOKIE, default="", salt=KNOWN_SALT, max_age=KNOWN_MAX_AGE)
    except BadSignature:
        return []
    return [fingerprint for fingerprint in value.split(",") if fingerprint]


def is_known_number(request: HttpRequest, raw: str) -> bool:
    number = numbers.normalize(raw)
    return number is not None and _fingerprint(number) in _known(request)


def remember_number(request: HttpRequest, response: HttpResponse, number: str) -> HttpResponse:
    """Add `number` to the browser's known numbers (most recent first, at most 10)."""
    known, fingerprint = _known(request), _fingerprint(number)
    if known[:1] != [fingerprint]:
        known = [fingerprint, *(f for f in known if f != fingerprint)][:KNOWN_MAX]
        response.set_signed_cookie(
            KNOWN_COOKIE,
            ",".join(known),
            salt=KNOWN_SALT,
            max_age=KNOWN_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


def not_found(request: HttpRequest, raw: str) -> HttpResponse:
    """The lookup page at 404, counted as a failed lookup. Same page and status for
    unknown, malformed and bad-check numbers."""
    throttle.record_failure(request)
    return render(
        request,
        "tracking/lookup.html",
        {
            "error": _("Aucune demande ne correspond à ce numéro. Vérifiez-le et réessayez."),
            "number": raw,
            "services": registry.all_services(),
        },
        status=404,
    )


def throttled_read(request: HttpRequest, raw: str, *, keys: list[str] = ()) -> dict | HttpResponse:
    """The styled 429 once this client has too many failed lookups (except for a number
    this browser already knows); else the values of the cache `keys` (a cached page),
    read in the throttle's round trip."""
    keys = list(keys)
    if is_known_number(request, raw):
        try:
            return cache.get_many(keys) if keys else {}
        except Exception:  # the cache is down: the page is built from the database
            return {}
    try:
        return throttle.check_and_get(request, keys=keys)
    except RateLimited as exc:
        return ratelimited(request, exc)


def find_or_refuse(
    request: HttpRequest, raw: str, *, find: Callable[..., T | None] = tracking_lookup
) -> T | HttpResponse:
    """What `find(raw_number=raw)` (a tracking selector) returns, or the response to
    send instead: the 429 of throttled_read(), the 404 lookup page (counted as a
    failure) when the number matches nothing."""
    refused = throttled_read(request, raw)
    if isinstance(refused, HttpResponse):
        return refused
    found = find(raw_number=raw)
    return not_found(request, raw) if found is None else found
