"""Public doors of support: the contact form, the conversation on every tracking page
(post a message, refresh the thread) and the attachments a number holder may open."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError, RateLimited
from core.files import file_response
from core.fragments import render_piece
from core.origin import Origin
from core.uploads import UploadRefused
from core.views import form_rate_limited, ratelimited
from tracking import caching, numbers
from tracking.selectors import find_tracked
from tracking.shortcuts import find_or_refuse, not_found, remember_number, throttled_read

from .forms import ContactForm, MessageForm
from .models import Attachment, Ticket
from .selectors import conversation_context, item_conversation, public_attachment, public_thread
from .services import message_add, ticket_create, ticket_follow_up, tracking_question
from .throttle import message_attempt, ticket_attempt, ticket_check_email, ticket_count_email

logger = logging.getLogger(__name__)


def form_error(form, exc: DomainError) -> None:
    """A service's refusal shown on the field it is about (or above the form)."""
    field = exc.details.get("field") if exc.details else None
    if isinstance(exc, UploadRefused):
        field = "files"
    form.add_error(field if field in form.fields else None, exc.message)


@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    template = "support/contact.html"
    user = request.user if request.user.is_authenticated else None
    if request.method != "POST":
        initial = {"name": user.get_full_name(), "email": user.email} if user else {}
        return render(request, template, {"form": ContactForm(initial=initial)})
    form = ContactForm(request.POST, request.FILES)
    context = {"form": form}
    try:
        ticket_attempt(request)
        if form.is_bot:
            # Looks like a success to the bot; nothing is created or sent.
            logger.info("contact form honeypot filled from %s", Origin.from_request(request).ip)
            return render(request, "support/contact_sent.html", {"number": None})
        if not form.is_valid():
            return render(request, template, context, status=400)
        ticket_check_email(request, form.cleaned_data["email"])
    except RateLimited as exc:
        return form_rate_limited(request, template, context, exc)
    data = form.cleaned_data
    try:
        ticket = ticket_create(
            subject=data["subject"],
            message=data["message"],
            category=data["category"],
            name=data["name"],
            email=data["email"],
            phone=data["phone"],
            user=user,
            source=Ticket.Source.CONTACT,
            files=data["files"],
            origin=Origin.from_request(request),
        )
    except DomainError as exc:
        form_error(form, exc)
        return render(request, template, context, status=400)
    ticket_count_email(request, data["email"])
    number = ticket.tracking.number
    return remember_number(request, redirect("tracking:confirmation", number=number), number)


# --- the conversation on a tracking page ---------------------------------------------


def _conversation_context(found, *, form=None, sent: bool = False) -> dict:
    """What the conversation templates show as `panel` (the same as the cached page's)."""
    obj = found.obj
    if isinstance(obj, Ticket):
        return conversation_context(number=found.number, ticket=obj, thread=public_thread(obj), form=form, sent=sent)
    conversation = item_conversation(item_id=obj.tracking_id, number=found.number)
    return conversation_context(number=found.number, conversation=conversation, form=form, sent=sent)


def _conversation_response(request, found, *, form=None, sent=False) -> HttpResponse:
    return render(request, "support/_panel.html", {"panel": _conversation_context(found, form=form, sent=sent)})


@require_POST
def message_post(request: HttpRequest, number: str) -> HttpResponse:
    """A message from the page of `number`: a reply on a ticket's page (or, once it is
    closed, a new ticket following it), a question on any other request's page."""
    found = find_or_refuse(request, number, find=find_tracked)
    if isinstance(found, HttpResponse):
        return found
    htmx = request.headers.get("HX-Request") == "true"
    form = MessageForm(request.POST, request.FILES)

    def refused(status: int) -> HttpResponse:
        if htmx:
            # htmx swaps only 2xx answers: the form comes back with its errors and the text.
            response = _conversation_response(request, found, form=form)
            response["HX-Retarget"] = "#conversation"
            return response
        context = {"panel": _conversation_context(found, form=form)}
        return render(request, "support/message_page.html", context, status=status)

    try:
        message_attempt(request, found.number)
    except RateLimited as exc:
        if not htmx:
            return ratelimited(request, exc)
        form.add_error(None, exc.message)
        response = refused(429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    if not form.is_valid():
        return refused(400)
    origin = Origin.from_request(request)
    user = request.user if request.user.is_authenticated else None
    body, files = form.cleaned_data["body"], form.cleaned_data["files"]
    try:
        if isinstance(found.obj, Ticket):
            if found.obj.is_closed and request.POST.get("follow_up") == "1":
                follower = ticket_follow_up(ticket=found.obj, message=body, user=user, origin=origin)
                messages.success(
                    request, _("Nouveau ticket ouvert : %(number)s.") % {"number": follower.tracking.number}
                )
                response = redirect("tracking:detail", number=follower.tracking.number)
                if htmx:
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = follower.get_absolute_url()
                return remember_number(request, response, follower.tracking.number)
            message_add(ticket=found.obj, body=body, side=Ticket.Side.CUSTOMER, author=user, files=files, origin=origin)
        else:
            tracking_question(
                item=found.obj.tracking,
                customer=found.service.customer(found.obj) if found.service.customer else None,
                body=body,
                files=files,
                user=user,
                origin=origin,
            )
    except DomainError as exc:
        form_error(form, exc)
        return refused(409 if exc.code == "TICKET_CLOSED" else 400)
    if htmx:
        return _conversation_response(request, found, sent=True)
    messages.success(request, _("Message envoyé. Nous vous répondons ici et par e-mail."))
    return redirect(found.obj.get_absolute_url() + "#conversation")


def thread_key(number: str, language: str) -> str:
    return f"tracking:thread:{number}:{language}"


@require_GET
@cache_control(private=True, no_store=True)
def thread(request: HttpRequest, number: str) -> HttpResponse:
    """The thread alone, for the page's refresh every few seconds (htmx). Every open
    tracking page asks for it: it is cached like the page (tracking.caching: one Redis
    round trip for the throttle and the entry, stale once a message changes the
    number's version), so a poll costs no SQL while nothing is new."""
    canonical = numbers.normalize(number) == number
    key = thread_key(number, get_language()) if canonical and caching.enabled() else None
    read = throttled_read(request, number, keys=[key, caching.version_key(number)] if key else [])
    if isinstance(read, HttpResponse):
        return read
    html, version = caching.current(read, key, number) if key else (None, "")
    if html is None:
        found = find_tracked(raw_number=number)
        if found is None or found.number != number:
            return not_found(request, number)
        html = render_piece("support/_thread.html", {"panel": _conversation_context(found)})
        if key:
            caching.store(key, html, version=version, changes_at=None)
    return HttpResponse(html)


@require_GET
def public_attachment_view(request: HttpRequest, number: str, attachment_id: int) -> HttpResponse:
    read = throttled_read(request, number)
    if isinstance(read, HttpResponse):
        return read
    attachment = public_attachment(number=number, attachment_id=attachment_id)
    if attachment is None:
        return not_found(request, number)
    return _serve(request, attachment)


def _serve(request: HttpRequest, attachment: Attachment) -> HttpResponse:
    try:
        file = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    # PDFs and images only (checked by content on upload): shown inline, never run.
    return file_response(request, file=file, content_type=attachment.content_type, filename=attachment.name)


@require_GET
@login_required
@permission_required("support.view_ticket", raise_exception=True)
def staff_attachment(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """Any attachment, internal notes' included, for staff who may view tickets."""
    if not request.user.is_staff:
        raise PermissionDenied
    return _serve(request, get_object_or_404(Attachment, pk=attachment_id))
