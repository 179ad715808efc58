from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from core.http import ratelimit_key
from core.origin import Origin
from tracking.services import TransitionError
from tracking.views import find_or_refuse

from .forms import RevisionRequestForm
from .models import Revision
from .services import revision_create, revision_quote_decide


@require_http_methods(["GET", "POST"])
@ratelimit(key=ratelimit_key, rate="10/h", method="POST", block=True, group="public-request-form")
def request_form(request: HttpRequest) -> HttpResponse:
    form = RevisionRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        revision = revision_create(**form.cleaned_data, origin=Origin.from_request(request))
        return redirect("tracking:confirmation", number=revision.tracking.number)
    status = 400 if request.method == "POST" else 200
    return render(request, "revisions/request_form.html", {"form": form}, status=status)


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
