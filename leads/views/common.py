"""What every marketplace page shares: who may open it (one decorator per role), the
one mapping of LeadError codes to form fields, and the htmx answers."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from .. import errors
from ..accounts import INFLUENCER, MERCHANT, role_of
from ..errors import LeadError

# Which form field a refusal belongs to (the others go above the form).
FIELD_OF = {
    errors.CAMPAIGN_NOT_FOUND: "campaign",
    errors.CAMPAIGN_PAUSED: "campaign",
    errors.INVALID_VALUE: "estimated_value",
    errors.DUPLICATE_LEAD: "client_email",
    errors.INVALID_RATING: "rating",
    errors.REASON_REQUIRED: "reason",
    errors.AMOUNT_INVALID: "custom",
    errors.PAYOUT_BELOW_MINIMUM: "amount",
    errors.EARNINGS_INSUFFICIENT: "amount",
}


def form_error(form, exc: LeadError, *, field: str | None = None) -> None:
    """Put a service's refusal on the form: on the field it names (its details' key when
    that is one of the form's fields, else FIELD_OF), or above the form."""
    detail_fields = [name for name in exc.details if name in form.fields]
    name = field or (detail_fields[0] if detail_fields else FIELD_OF.get(exc.code))
    form.add_error(name if name in form.fields else None, exc.message)


def _role_required(role: str):
    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if role_of(request.user) != role:
                return render(request, "leads/403.html", {"role": role}, status=403)
            profile = request.user.merchant if role == MERCHANT else request.user.influencer
            return view(request, profile, *args, **kwargs)

        return wrapper

    return decorator


# The view receives the logged-in user's profile as its second argument.
merchant_required = _role_required(MERCHANT)
influencer_required = _role_required(INFLUENCER)


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def fragments(request: HttpRequest, *parts: tuple[str, dict], status: int = 200) -> HttpResponse:
    """One htmx answer made of several templates (the target, then out-of-band swaps)."""
    html = "".join(render_to_string(template, context, request=request) for template, context in parts)
    return HttpResponse(html, status=status)
