from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.views import ratelimited

from . import registry, throttle
from .selectors import TrackingView, tracking_lookup


def _throttled(request: HttpRequest) -> HttpResponse | None:
    verdict = throttle.check(request)
    if verdict.blocked:
        response = ratelimited(request)
        response["Retry-After"] = str(verdict.retry_after)
        return response
    return None


def _not_found(request: HttpRequest, raw: str) -> HttpResponse:
    throttle.record_failure(request)
    # Same page and status for unknown, malformed and bad-check numbers.
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


def find_or_refuse(request: HttpRequest, raw: str) -> TrackingView | HttpResponse:
    return _throttled(request) or tracking_lookup(raw_number=raw) or _not_found(request, raw)


@require_GET
def lookup(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("number", "").strip()
    if not raw:
        return render(request, "tracking/lookup.html", {"services": registry.all_services()})
    found = find_or_refuse(request, raw)
    if isinstance(found, HttpResponse):
        return found
    return redirect("tracking:detail", number=found.number)


@require_GET
def detail(request: HttpRequest, number: str) -> HttpResponse:
    found = find_or_refuse(request, number)
    if isinstance(found, HttpResponse):
        return found
    if found.number != number:
        return redirect("tracking:detail", number=found.number, permanent=True)
    return render(request, "tracking/detail.html", {"view": found, "item": found.obj})


@require_GET
def confirmation(request: HttpRequest, number: str) -> HttpResponse:
    found = find_or_refuse(request, number)
    if isinstance(found, HttpResponse):
        return found
    return render(request, "tracking/confirmation.html", {"view": found})
