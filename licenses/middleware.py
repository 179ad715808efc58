from django.utils.translation import gettext as _

API_PREFIX = "/api/v1/"
_CODES = {
    400: "INVALID_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    500: "SERVER_ERROR",
}


class ApiErrorEnvelopeMiddleware:
    """Errors raised outside the API's own handlers (unknown route, wrong method, a
    Django-level 400/500) still answer in the API's JSON envelope, never an HTML page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith(API_PREFIX)
            and response.status_code >= 400
            and (
                not response.get("Content-Type", "").startswith("application/json")
                or getattr(response, "generic_api_error", False)
            )
        ):
            from .api import envelope

            messages = {404: _("Ressource introuvable."), 405: _("Méthode non autorisée.")}
            wrapped = envelope(
                request,
                _CODES.get(response.status_code, "SERVER_ERROR" if response.status_code >= 500 else "INVALID_REQUEST"),
                messages.get(response.status_code, _("Requête invalide.")),
                response.status_code,
            )
            if response.has_header("Allow"):
                wrapped["Allow"] = response["Allow"]
            return wrapped
        return response
