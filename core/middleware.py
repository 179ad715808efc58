import re
import uuid

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


class LanguageMiddleware:
    """French unless the visitor picked another language with the switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language, but the
    platform's customers share phones and kiosks set to English while expecting the
    French UI, so only an explicit choice (the language cookie) changes the language.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ["Cookie"])
        return response


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Every response carries X-Request-ID (the caller's if well-formed, else a new
    UUID); error bodies repeat it so a support request can be matched to the logs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _REQUEST_ID.match(incoming) else str(uuid.uuid4())
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


_ENVELOPE_CODES = {
    400: "INVALID_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    500: "SERVER_ERROR",
}


class ApiErrorEnvelopeMiddleware:
    """Errors raised outside an API's own handlers (unknown route, wrong method, a
    Django-level 400/500) still answer in the shared JSON envelope (core.api.envelope),
    never an HTML page, under each prefix of API_ENVELOPE_PREFIXES."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefixes = tuple(settings.API_ENVELOPE_PREFIXES)

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and request.path.startswith(self.prefixes)
            and (
                not response.get("Content-Type", "").startswith("application/json")
                or getattr(response, "generic_api_error", False)
            )
        ):
            return self._wrapped(request, response)
        return response

    def _wrapped(self, request, response):
        from django.utils.translation import gettext as _

        from .api import envelope

        status = response.status_code
        messages = {404: _("Ressource introuvable."), 405: _("Méthode non autorisée.")}
        wrapped = envelope(
            request,
            _ENVELOPE_CODES.get(status, "SERVER_ERROR" if status >= 500 else "INVALID_REQUEST"),
            messages.get(status, _("Requête invalide.")),
            status,
        )
        if response.has_header("Allow"):
            wrapped["Allow"] = response["Allow"]
        return wrapped
