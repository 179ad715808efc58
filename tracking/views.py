from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from core.fragments import render_piece, with_csrf

from . import caching, numbers, registry
from .selectors import tracking_lookup
from .shortcuts import find_or_refuse, not_found, remember_number, throttled_read


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
    """The tracking page. Its content is cached per number and language (a hit: one Redis
    round trip for the throttle and the content, no SQL); the page opened from a signed
    quote link (a query string) is always built, since it verifies that link."""
    canonical = numbers.normalize(number) == number
    key = caching.page_key(number, get_language()) if canonical and caching.enabled() and not request.GET else None
    read = throttled_read(request, number, keys=[key, caching.version_key(number)] if key else [])
    if isinstance(read, HttpResponse):
        return read
    piece, version = caching.current(read, key, number) if key else (None, "")
    if piece is None:
        found = tracking_lookup(raw_number=number)
        if found is None:
            return not_found(request, number)
        if found.number != number:
            return redirect("tracking:detail", number=found.number, permanent=True)
        piece = render_piece("tracking/_page.html", {"view": found, "item": found.obj, "request": request})
        if key:
            caching.store(key, piece, version=version, changes_at=found.changes_at)
    response = render(request, "tracking/detail.html", {"number": number, "content": with_csrf(request, piece)})
    return remember_number(request, response, number)


@require_GET
def confirmation(request: HttpRequest, number: str) -> HttpResponse:
    found = find_or_refuse(request, number)
    if isinstance(found, HttpResponse):
        return found
    return remember_number(request, render(request, "tracking/confirmation.html", {"view": found}), found.number)
