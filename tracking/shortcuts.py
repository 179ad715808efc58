"""View helpers other apps use to act on a tracked item from its public number
(e.g. a customer answering a quote), with the tracking pages' protections."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.signing import BadSignature
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.errors import RateLimited
from core.views import ratelimited

from . import numbers, registry, throttle
from .selectors import tracking_lookup

T = TypeVar("T")

# The numbers this browser created or opened: a signed cookie, so it can only name
# numbers the browser was shown. They stay reachable when the failed-lookup limit
# blocks the client's IP, which carrier-grade NAT shares with other customers'
# typos; the limit still refuses everything else, so guessing gains nothing.
KNOWN_COOKIE = "tracking_numbers"
KNOWN_SALT = "tracking.known-numbers"
KNOWN_MAX = 10
KNOWN_MAX_AGE = 365 * 24 * 3600


def known_numbers(request: HttpRequest) -> list[str]:
    try:
        value = request.get_signed_cookie(KNOWN_COOKIE, default="", salt=KNOWN_SALT, max_age=KNOWN_MAX_AGE)
    except BadSignature:
        return []
    return [number for number in value.split(",") if number]


def remember_number(request: HttpRequest, response: HttpResponse, number: str) -> HttpResponse:
    """Add `number` to the browser's known numbers (most recent first, at most 10)."""
    known = known_numbers(request)
    if known[:1] != [number]:
        known = [number, *(n for n in known if n != number)][:KNOWN_MAX]
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


def find_or_refuse(
    request: HttpRequest, raw: str, *, find: Callable[..., T | None] = tracking_lookup
) -> T | HttpResponse:
    """What `find(raw_number=raw)` (a tracking selector) returns, or the response to
    send instead: the styled 429 once this client has too many failed lookups (except
    for a number this browser already knows), the 404 lookup page (counted as a
    failure) when the number matches nothing."""
    if numbers.normalize(raw) not in known_numbers(request):
        try:
            throttle.check(request)
        except RateLimited as exc:
            return ratelimited(request, exc)
    found = find(raw_number=raw)
    return not_found(request, raw) if found is None else found
