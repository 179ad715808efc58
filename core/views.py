import logging
from datetime import timedelta

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from .errors import RateLimited
from .limits import wait_text

logger = logging.getLogger(__name__)


def _check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("healthz: database check failed")
        return False


def _check_cache() -> bool:
    try:
        cache.set("healthz", "ok", 10)
        return cache.get("healthz") == "ok"
    except Exception:
        logger.exception("healthz: cache check failed")
        return False


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    parts = {"database": _check_database(), "cache": _check_cache()}
    body = {"status": "ok" if all(parts.values()) else "error"}
    body.update({name: "ok" if healthy else "error" for name, healthy in parts.items()})
    return JsonResponse(body, status=200 if all(parts.values()) else 503)


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def ratelimited(request: HttpRequest, exception: Exception | None = None, *, back_url: str = "") -> HttpResponse:
    """The 429 of every HTML page and of the tracking JSON: the styled page (or
    `{"error": "rate_limited", "message", "retry_after"}`) and Retry-After.

    `back_url`: where the page's "Retour" leads, for a refused button on a page the
    customer should go back to (without it, the page helps someone who lost a number).

    Also RATELIMIT_VIEW, for a bare django-ratelimit decorator with block=True: its
    exception does not say when its window ends (core.limits' RateLimited does), so
    the page then asks for a minute: retrying early only costs another 429, while a
    guessed longer wait could keep a customer out for nothing.
    """
    if isinstance(exception, RateLimited):
        message, retry_after = exception.message, exception.retry_after
    else:
        retry_after = 60
        message = _("Trop de tentatives depuis votre adresse. Réessayez dans %(wait)s.") % {
            "wait": wait_text(retry_after)
        }
    if wants_json(request):
        response = JsonResponse({"error": "rate_limited", "message": message, "retry_after": retry_after}, status=429)
    else:
        context = {"message": message, "back_url": back_url, **retry_context(retry_after)}
        response = render(request, "core/429.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def retry_context(retry_after: int) -> dict:
    """When the visitor may try again, from the same Retry-After the response sends: the
    local clock time (and the date when it is not today), so the page and the header agree."""
    at = timezone.localtime() + timedelta(seconds=retry_after)
    return {"retry_after": retry_after, "retry_at": at, "retry_same_day": at.date() == timezone.localdate()}


def form_rate_limited(request: HttpRequest, template: str, context: dict, exception: RateLimited) -> HttpResponse:
    """A public form refused by a rate limit: the same page with what was typed, the
    wait stated above the form, status 429 and Retry-After."""
    context = {**context, "rate_limited": exception.message, **retry_context(exception.retry_after)}
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(exception.retry_after)
    return response


def _generic_json(body: dict, status: int) -> JsonResponse:
    response = JsonResponse(body, status=status)
    # Lets an API with its own error envelope (licenses) re-wrap this generic body.
    response.generic_api_error = True
    return response


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return _generic_json({"error": "not_found", "message": _("Ressource introuvable.")}, 404)
    return render(request, "core/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if wants_json(request):
        return _generic_json({"error": "server_error", "message": _("Erreur interne, réessayez plus tard.")}, 500)
    return render(request, "core/500.html", status=500)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return _generic_json({"error": "forbidden", "message": _("Accès refusé.")}, 403)
    return render(request, "core/403.html", status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent with a stale or missing CSRF token (the page was open for long, the
    person logged in or out in another tab): a styled, translated page that sends them
    back to the form, instead of Django's bare English one."""
    if wants_json(request):
        return _generic_json({"error": "csrf_failed", "message": _("Jeton CSRF manquant ou invalide.")}, 403)
    referer = request.headers.get("Referer", "")
    back = referer if url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}) else ""
    return render(request, "core/403_csrf.html", {"back": back}, status=403)
