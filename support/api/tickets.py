"""The customers' endpoints (staff use them too): open a ticket, list one's own, read
one, write in it."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from accounts.auth import SessionOrAnyToken
from core.origin import Origin

from .. import throttle
from ..models import Ticket
from ..services import message_add, ticket_create
from . import answers
from .access import VIEW, own_tickets, readable_ticket, writable_ticket
from .common import page_of, ticket_answer
from .schemas import MessageIn, PageQuery, TicketCreateIn, TicketOut, TicketPage

router = Router(tags=["tickets"])


@router.post(
    "create",
    response={201: TicketOut},
    exclude_unset=True,
    auth=SessionOrAnyToken(optional=True),
    url_name="create",
    summary="Open a ticket (anonymous callers give their name and e-mail)",
)
def create(request: HttpRequest, payload: TicketCreateIn):
    """Rate-limited as the contact form, with which it shares its counters: attempts per
    IP (SUPPORT_TICKET_RATE_PER_IP), tickets per e-mail (SUPPORT_TICKET_RATE_PER_EMAIL)."""
    caller = request.auth
    user = caller.user if caller.user.is_authenticated else None
    throttle.ticket_attempt(request)
    email = payload.email or (user.email if user else "")
    if email.strip():
        throttle.ticket_check_email(request, email)
    ticket = ticket_create(
        subject=payload.subject,
        message=payload.message,
        category=payload.category,
        priority=payload.priority,
        name=payload.name,
        email=payload.email,
        phone=payload.phone,
        user=user,
        source=Ticket.Source.API,
        origin=Origin.from_request(request),
    )
    throttle.ticket_count_email(request, ticket.customer_email)
    if caller.has_staff_permission(VIEW):
        return Status(201, ticket_answer(request, ticket.tracking.number, staff=True))
    return Status(201, answers.detail(request, ticket, staff=False))


@router.get("list", response=TicketPage, exclude_unset=True, url_name="list", summary="The caller's own tickets")
def list_own(request: HttpRequest, query: Query[PageQuery]):
    """Those opened while logged in, and those sent with the account's verified e-mail;
    newest first."""
    rows, page = page_of(own_tickets(request.auth.user), page=query.page, page_size=query.page_size)
    return {"items": [answers.summary(request, t, staff=False) for t in rows], **page}


@router.get("{id}", response=TicketOut, exclude_unset=True, url_name="detail", summary="A ticket and its messages")
def detail(request: HttpRequest, id: str):  # noqa: A002 - the path's name
    """Its customer reads the public messages; staff holding support.view_ticket read
    every message, internal notes included. Anyone else: 404 TICKET_NOT_FOUND."""
    ticket, staff = readable_ticket(request, id)
    return answers.detail(request, ticket, staff=staff)


@router.post(
    "{id}/message",
    response={201: TicketOut},
    exclude_unset=True,
    url_name="message",
    summary="Reply (or, staff, add an internal note)",
)
def message(request: HttpRequest, id: str, payload: MessageIn):  # noqa: A002 - the path's name
    """The customer's reply reopens a ticket waiting for them or resolved; the staff's
    first public reply is the first response. A closed ticket: 409 TICKET_CLOSED
    (open a new ticket). Answers the ticket with the new message."""
    ticket, side = writable_ticket(request, id)
    number = ticket.tracking.number
    if side == Ticket.Side.CUSTOMER:
        throttle.message_attempt(request, number)
    message_add(
        ticket=ticket,
        body=payload.body,
        side=side,
        author=request.auth.user,
        internal=payload.internal,
        origin=Origin.from_request(request),
    )
    return Status(201, ticket_answer(request, number, staff=side == Ticket.Side.STAFF))
