"""The providers' webhook endpoints: plain Django views (no session, no CSRF token: the
provider signs each request instead), thin over payments.services.webhook_receive."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from core.api import envelope

from .errors import HTTP_STATUS, PaymentError
from .services import webhook_receive


def webhook_view(provider_name: str):
    """POST /api/webhooks/<provider>: 200 {"received": true, "duplicate": bool} for every
    verified event (ignored types too, so the provider stops retrying), 400 for a bad
    signature (nothing stored), 500 when a domain's handler failed (the provider
    delivers it again later)."""

    @csrf_exempt
    def view(request: HttpRequest) -> JsonResponse:
        if request.method != "POST":
            response = envelope(request, "METHOD_NOT_ALLOWED", _("Méthode non autorisée."), 405)
            response["Allow"] = "POST"
            return response
        try:
            result = webhook_receive(provider_name=provider_name, body=request.body, headers=request.headers)
        except PaymentError as exc:
            # Only the code and message: the details of a failure are in the logs and admin.
            return envelope(request, exc.code, exc.message, HTTP_STATUS.get(exc.code, 400))
        return JsonResponse({"received": True, "duplicate": result.duplicate})

    view.__name__ = f"{provider_name}_webhook"
    return view


stripe_webhook = webhook_view("stripe")
