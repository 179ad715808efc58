from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from . import registry
from .shortcuts import find_or_refuse, remember_number


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The platform's home: the tracking form and every service customers can ask for."""
    services = [service for service in registry.all_services() if service.request_url]
    return render(request, "core/home.html", {"services": services})


@require_GET
def lookup(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("number", "").strip()
    if not raw:
        return render(request, "tracking/lookup.html", {"services": registry.all_services()})
    found = find_or_refuse(request, raw)
    if isinstance(found, HttpResponse):
        return found
    return remember_number(request, redirect("tracking:detail", number=found.number), found.number)


@require_GET
def detail(request: HttpRequest, number: str) -> HttpResponse:
    found = find_or_refuse(request, number)
    if isinstance(found, HttpResponse):
        return found
    if found.number != number:
        return redirect("tracking:detail", number=found.number, permanent=True)
    response = render(request, "tracking/detail.html", {"view": found, "item": found.obj})
    return remember_number(request, response, found.number)


@require_GET
def confirmation(request: HttpRequest, number: str) -> HttpResponse:
    found = find_or_refuse(request, number)
    if isinstance(found, HttpResponse):
        return found
    return remember_number(request, render(request, "tracking/confirmation.html", {"view": found}), found.number)
