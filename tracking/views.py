from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from . import registry
from .shortcuts import find_or_refuse


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
