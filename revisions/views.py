from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core import limits
from core.errors import RateLimited
from core.origin import Origin
from core.views import form_rate_limited
from tracking.services import TransitionError
from tracking.shortcuts import find_or_refuse

from .forms import RevisionRequestForm
from .models import Revision
from .services import revision_create, revision_quote_decide


@require_http_methods(["GET", "POST"])
def request_form(request: HttpRequest) -> HttpResponse:
    form = RevisionRequestForm(request.POST or None)
    context, template = {"form": form}, "revisions/request_form.html"
    if request.method != "POST":
        return render(request, template, context)
    try:
        limits.public_form_attempt(request)
        if not form.is_valid():
            return render(request, template, context, status=400)
        contact = {"email": form.cleaned_data["client_email"], "phone": form.cleaned_data["client_phone"]}
        limits.public_form_check_contact(request, **contact)
    except RateLimited as exc:
        return form_rate_limited(request, template, context, exc)
    revision = revision_create(**form.cleaned_data, origin=Origin.from_request(request))
    limits.public_form_count_success(request, **contact)
    return redirect("tracking:confirmation", number=revision.tracking.number)


@require_POST
def quote_decision(request: HttpRequest, number: str) -> HttpResponse:
    """Accept or decline a sent quote from the public tracking page."""
    found = find_or_refuse(request, number)
    if isinstance(found, HttpResponse):
        return found
    decision = request.POST.get("decision")
    if not isinstance(found.obj, Revision) or decision not in {"accept", "decline"}:
        messages.error(request, _("Action impossible."))
        return redirect("tracking:detail", number=found.number)
    try:
        revision_quote_decide(revision=found.obj, accept=decision == "accept", origin=Origin.from_request(request))
    except TransitionError:
        messages.error(request, _("Ce devis n'attend plus de réponse."))
    else:
        if decision == "accept":
            messages.success(request, _("Merci ! Votre acceptation du devis est enregistrée."))
        else:
            messages.success(request, _("Votre refus du devis est enregistré."))
    return redirect("tracking:detail", number=found.number)
