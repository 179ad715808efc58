"""Benchmark URLconf (config.settings.bench): the site's URLs plus a bare baseline view."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path


def bare_view(request: HttpRequest) -> JsonResponse:
    """The simplest Django view: no database, no cache. The baseline for bench/run.py."""
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("__bench__/bare", bare_view),
    path("", include("config.urls")),
]

handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
