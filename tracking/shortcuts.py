"""View helpers other apps use to act on a tracked item from its public number
(e.g. a customer answering a quote), with the tracking pages' protections."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.errors import RateLimited
from core.views import ratelimited

from . import registry, throttle
from .selectors import tracking_lookup

T = TypeVar("T")


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
    send instead: the styled 429 once this client has too many failed lookups, the
    404 lookup page (counted as a failure) when the number matches nothing."""
    try:
        throttle.check(request)
    except RateLimited as exc:
        return ratelimited(request, exc)
    found = find(raw_number=raw)
    return not_found(request, raw) if found is None else found
