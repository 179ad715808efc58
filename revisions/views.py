import logging

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core import limits, uploads
from core.errors import RateLimited
from core.files import file_response
from core.fragments import cached_piece, render_piece
from core.http import client_ip_key
from core.microcache import Microcache
from core.origin import Origin
from core.views import form_rate_limited, ratelimited
from tracking.selectors import find_tracked
from tracking.shortcuts import find_or_refuse, not_found, remember_number, throttled_read

from .forms import QuoteDecisionForm, RevisionRequestForm
from .models import Revision, RevisionMedia
from .quote_links import quote_page_path
from .services import (
    RevisionError,
    revision_create,
    revision_quote_decide,
    revision_quote_link_check,
    revision_quote_link_send,
    revision_quote_require_pending,
)

logger = logging.getLogger(__name__)

# "Renvoyer le lien" sends to the customer's own e-mail and phone, whoever presses it.
# Per revision, so that knowing a number cannot flood a customer (or the SMS bill)...
LINK_RESEND_RATE_PER_REVISION = "1/2m"
# ...and the daily cap per revision and IP, so that someone else who knows the number
# cannot use up the customer's allowance from their own connection.
LINK_RESEND_RATE_PER_IP = "5/d"


FORM_PIECE_SECONDS = 3600
# Only a deploy changes the empty form: each process keeps its own copy.
_form_pieces = Microcache(seconds=FORM_PIECE_SECONDS)


@require_http_methods(["GET", "POST"])
def request_form(request: HttpRequest) -> HttpResponse:
    template = "revisions/request_form.html"
    if request.method != "POST":
        # The empty form is the same for everyone who reads this language today (its date
        # picker starts today): rendered once, its CSRF token filled in per visitor.
        piece = cached_piece(
            request,
            key=f"revisions:form:{get_language()}:{timezone.localdate().isoformat()}",
            build=lambda: render_piece("revisions/_request_form.html", {"form": RevisionRequestForm()}),
            timeout=0,  # only this process's copy (shared=False)
            local=_form_pieces,
            shared=False,
        )
        return render(request, template, {"piece": piece})
    form = RevisionRequestForm(request.POST)
    context = {"form": form}
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
    number = revision.tracking.number
    return remember_number(request, redirect("tracking:confirmation", number=number), number)


def _back(request: HttpRequest, number: str, error: str) -> HttpResponse:
    """A refused answer: nothing recorded, back to the page, which shows the current quote."""
    messages.error(request, error)
    return redirect("tracking:detail", number=number)


@require_POST
def quote_decision(request: HttpRequest, number: str) -> HttpResponse:
    """Accept or decline a sent quote: `decision`, the `version` shown, the `token` of the
    signed link from the quote's e-mail/SMS, and `confirm=1` to accept (without it, the
    page's confirmation step)."""
    # Only the object is needed: not the history the public page loads and masks.
    found = find_or_refuse(request, number, find=find_tracked)
    if isinstance(found, HttpResponse):
        return found
    form = QuoteDecisionForm(request.POST)
    if not isinstance(found.obj, Revision) or not form.is_valid():
        if isinstance(found.obj, Revision) and form.has_error("token", "required"):
            return _back(request, found.number, _("Pour accepter ou refuser, ouvrez le lien reçu par e-mail ou SMS."))
        return _back(request, found.number, _("Action impossible."))
    revision, data = found.obj, form.cleaned_data
    accept = data["decision"] == "accept"
    proof = {"token": data["token"], "quote_version": data["version"]}
    try:
        if accept and not data["confirm"]:
            revision_quote_link_check(revision=revision, **proof)
            return redirect(quote_page_path(number=found.number, token=data["token"], confirm=True))
        revision_quote_decide(revision=revision, accept=accept, origin=Origin.from_request(request), **proof)
    except RevisionError as exc:
        return _back(request, found.number, exc.message)
    if accept:
        messages.success(request, _("Merci ! Votre acceptation du devis est enregistrée."))
    else:
        messages.success(request, _("Votre refus du devis est enregistré."))
    return redirect("tracking:detail", number=found.number)


def _link_resend_limit(request: HttpRequest, revision: Revision) -> None:
    """Count one "Renvoyer le lien" that will be sent; RateLimited beyond the rates.

    The daily cap is checked first and counted only for a link actually sent, so that
    presses refused by the 2-minute limit do not use up the day's allowance."""
    per_ip = {
        "group": "revisions.quote-link-resend:ip",
        "rate": LINK_RESEND_RATE_PER_IP,
        "ident": f"{revision.pk}:{client_ip_key(request)}",
    }
    # Each refusal says which limit it is: the day's cap is not "a link was just sent".
    day_cap = _(
        "Vous avez déjà demandé plusieurs liens aujourd'hui : vérifiez vos e-mails et vos SMS. "
        "Vous pourrez en demander un autre dans %(wait)s."
    )
    limits.check(request, **per_ip, message=day_cap)
    limits.enforce(
        request,
        group="revisions.quote-link-resend",
        rate=LINK_RESEND_RATE_PER_REVISION,
        ident=str(revision.pk),
        message=_(
            "Un lien vient déjà d'être envoyé : vérifiez vos e-mails et vos SMS. "
            "Vous pourrez en demander un autre dans %(wait)s."
        ),
    )
    limits.count(request, **per_ip)


@require_POST
def quote_link_resend(request: HttpRequest, number: str) -> HttpResponse:
    """The "Renvoyer le lien" button: the pending quote's signed link again, to the e-mail
    and phone on file (never shown on the page)."""
    # Only the object is needed: not the history the public page loads and masks.
    found = find_or_refuse(request, number, find=find_tracked)
    if isinstance(found, HttpResponse):
        return found
    if not isinstance(found.obj, Revision):
        return _back(request, found.number, _("Action impossible."))
    try:
        # An answered quote is refused before anything is counted.
        revision_quote_require_pending(revision=found.obj)
        _link_resend_limit(request, found.obj)
        revision_quote_link_send(revision=found.obj)
    except RevisionError as exc:
        return _back(request, found.number, exc.message)
    except RateLimited as exc:
        return ratelimited(request, exc, back_url=quote_page_path(number=found.number) + "#devis")
    messages.success(
        request, _("Un nouveau lien vient d'être envoyé à l'adresse e-mail et au numéro de téléphone de la demande.")
    )
    return redirect("tracking:detail", number=found.number)


@require_safe
def media_file(request: HttpRequest, number: str, media_id: int, thumbnail: bool = False) -> HttpResponseBase:
    """A revision's photo, its thumbnail or its video, for whoever holds the tracking
    number: the number must be exactly the revision's, or it is the tracking page's 404
    (a failed lookup, throttled alike). Range requests are answered (videos)."""
    read = throttled_read(request, number)
    if isinstance(read, HttpResponse):
        return read
    media = RevisionMedia.objects.filter(pk=media_id, revision__tracking__number=number).first()
    stored = None if media is None else media.thumbnail if thumbnail else media.file
    if not stored:
        return not_found(request, number)
    # A thumbnail's type is that of its extension, which core.uploads chose when it encoded it.
    content_type = uploads.SANITIZED_TYPES[stored.name.rsplit(".", 1)[-1]] if thumbnail else media.content_type
    try:
        return file_response(request, file=stored, content_type=content_type)
    except FileNotFoundError:
        # The row is there but its file is not (a storage restored without it): not the
        # visitor's fault, not counted.
        logger.error("revision media %s: file %s missing from storage", media.pk, stored.name)
        raise Http404 from None
