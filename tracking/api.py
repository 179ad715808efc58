"""Public JSON tracking API: GET /api/tracking/<NUMBER>."""

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from ninja import Schema
from ninja.decorators import decorate_view

from core.api import PlatformApi, hot_path
from core.errors import RateLimited
from core.views import ratelimited

from . import caching, numbers, registry, throttle
from .selectors import tracking_json_body


class TrackingApi(PlatformApi):
    def error_response(self, request, *, status, code, message, details=None):
        # This API's envelope: {"error": "snake_case_code", "message": ...}, plus the
        # invalid fields for a 422.
        return _error(code.lower(), message, status, **({"details": details} if details else {}))

    def on_exception(self, request, exc):
        # Refusals built by the exception handlers (422, 429, 413) are about one
        # customer's request too: the same Cache-Control as the view's answers.
        response = super().on_exception(request, exc)
        patch_cache_control(response, private=True, no_store=True)
        return response


api = TrackingApi(
    title="Suivi unifié",
    version="1",
    urls_namespace="tracking-api",
    description="Public tracking of any service request by its tracking number.",
)


class StepOut(Schema):
    key: str
    label: str
    done: bool
    current: bool


class MoneyOut(Schema):
    amount: str
    currency: str


class HistoryOut(Schema):
    at: str
    status: str
    label: str
    note: str


class TrackingOut(Schema):
    tracking_number: str
    service: str
    status: str
    status_label: str
    steps: list[StepOut]
    details: dict[str, Any]
    quote: MoneyOut | None
    history: list[HistoryOut]


class ErrorOut(Schema):
    error: str
    message: str


class RateLimitedOut(ErrorOut):
    retry_after: int


@api.exception_handler(RateLimited)
def _rate_limited(request: HttpRequest, exc: RateLimited):
    # {"error": "rate_limited", "message", "retry_after"} and Retry-After, as every JSON 429.
    return ratelimited(request, exc)


def _error(code: str, message: str, status: int, **extra) -> JsonResponse:
    return JsonResponse({"error": code, "message": message, **extra}, status=status)


@api.get(
    "/{number}",
    response={200: TrackingOut, 404: ErrorOut, 422: ErrorOut, 429: RateLimitedOut},
    summary="Track a request",
)
# One customer's request: never kept by a shared cache or stored by the browser.
@decorate_view(cache_control(private=True, no_store=True))
def track(request: HttpRequest, number: str):
    return tracking_answer(request, number)


def track_fast(request: HttpRequest, number: str) -> HttpResponse | None:
    """The hot path of track (core.api.hot_path): a GET of a number as we write it."""
    if request.method != "GET" or request.GET:
        return None
    response = tracking_answer(request, number)
    patch_cache_control(response, private=True, no_store=True)
    return response


# The number exactly as we write it (anything else goes through the operation, which
# forgives case, spaces and look-alike letters): the hot path's URL pattern.
CANONICAL_NUMBER = r"[A-Z]{3}-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}"


def tracking_answer(request: HttpRequest, number: str) -> HttpResponse:
    normalized = numbers.normalize(number)
    key = caching.json_key(normalized, get_language()) if normalized and caching.enabled() else None
    # The throttle and the cached JSON (with its version) in one round trip: a hit costs no SQL.
    found = throttle.check_and_get(request, keys=[key, caching.version_key(normalized)] if key else [])
    body, version = caching.current(found, key, normalized) if key else (None, "")
    if body is None and normalized and registry.get(numbers.prefix_of(normalized)):
        body = tracking_json_body(number=normalized, version=version)
    if body is None:
        throttle.record_failure(request)
        return _error("not_found", _("Aucune demande ne correspond à ce numéro."), 404)
    # Already JSON, as JsonResponse would have written it: not re-validated by the schema.
    return HttpResponse(body, content_type="application/json")


track_hot_path = hot_path(api, "<number>", track_fast)
