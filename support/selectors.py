"""Reads of tickets: the public conversation (tracking pages and JSON), a customer's
tickets, the staff's lists. Every read costs a constant number of queries whatever the
length of the conversation."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from core.masking import mask_contacts

from .models import Attachment, Message, Ticket

S = Ticket.Status
# Tickets someone still has to work on.
ACTIVE = (S.OPEN, S.IN_PROGRESS, S.WAITING)


@dataclass(frozen=True)
class PublicAttachment:
    id: int
    name: str
    content_type: str
    size: int
    url: str

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    def as_json(self) -> dict:
        return {"id": self.id, "name": self.name, "content_type": self.content_type, "size": self.size, "url": self.url}


@dataclass(frozen=True)
class PublicMessage:
    id: int
    at: object
    side: str
    side_label: str
    body: str
    attachments: list[PublicAttachment]

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "side": self.side,
            "side_label": self.side_label,
            "body": self.body,
            "attachments": [a.as_json() for a in self.attachments],
        }


def _public_messages(ticket_filter: Q) -> QuerySet[Message]:
    # Internal notes never leave the staff's side: filtered here, in the one query.
    return (
        Message.objects.filter(ticket_filter, internal=False)
        .select_related("ticket__tracking")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))
        .order_by("created_at", "pk")
    )


def attachment_url(*, number: str, attachment_id: int) -> str:
    return reverse("support:public-attachment", args=[number, attachment_id])


def _public(message: Message, *, number: str) -> PublicMessage:
    side = Ticket.Side(message.side)
    return PublicMessage(
        id=message.pk,
        at=message.created_at,
        side=message.side,
        side_label=str(side.label),
        # A number is enough to read them: contact details typed in are masked.
        body=mask_contacts(message.body),
        attachments=[
            PublicAttachment(
                id=a.pk,
                name=a.name,
                content_type=a.content_type,
                size=a.size,
                url=attachment_url(number=number, attachment_id=a.pk),
            )
            for a in message.attachments.all()
        ],
    )


def public_thread(ticket: Ticket, *, number: str | None = None) -> list[PublicMessage]:
    """A ticket's public messages, as the holder of `number` reads them (two queries;
    read once per ticket object: the tracking page's details and its conversation panel
    share them)."""
    number = number or ticket.tracking.number
    cached = getattr(ticket, "_public_thread", None)
    if cached is not None and cached[0] == number:
        return cached[1]
    thread = [_public(m, number=number) for m in _public_messages(Q(ticket=ticket))]
    ticket._public_thread = (number, thread)
    return thread


def conversation_context(
    *, number: str, ticket: Ticket | None = None, conversation=None, thread=None, form=None, sent: bool = False
) -> dict:
    """What the conversation templates show (`panel`): on a ticket's page its thread, on
    another request's page the conversation about it; with the message form."""
    from django.conf import settings

    from .forms import MessageForm

    return {
        "poll_seconds": settings.SUPPORT_THREAD_POLL_SECONDS,
        "number": number,
        "ticket": ticket,
        "panel": conversation,
        "thread": conversation.messages if conversation is not None else thread or [],
        "form": form or MessageForm(),
        "sent": sent,
    }


def public_details(ticket: Ticket) -> dict:
    """The `details` of a TCK tracking page and JSON."""
    messages = public_thread(ticket)
    return {
        "subject": mask_contacts(ticket.subject),
        "category": ticket.category,
        "category_label": str(ticket.get_category_display()),
        "related": ticket.related_item.number if ticket.related_item_id else None,
        "can_reply": not ticket.is_closed,
        "messages": [m.as_json() for m in messages],
    }


@dataclass(frozen=True)
class ItemConversation:
    """The conversation shown on another request's tracking page (a revision's...): the
    current ticket about it, or the last one if all are closed."""

    number: str  # the tracked item's number (the page's)
    ticket_number: str | None
    status: str | None
    status_label: str
    closed: bool
    messages: list[PublicMessage]


def item_conversation(*, item_id: int, number: str) -> ItemConversation:
    """Two queries, whatever the number of messages: the latest ticket opened from that
    page with its public messages, and their attachments."""
    latest = (
        Ticket.objects.filter(related_item_id=item_id, source=Ticket.Source.TRACKING)
        .order_by("-created_at")
        .values("pk")[:1]
    )
    rows = list(_public_messages(Q(ticket__in=latest)))
    if not rows:
        return ItemConversation(
            number=number, ticket_number=None, status=None, status_label="", closed=False, messages=[]
        )
    ticket = rows[0].ticket
    return ItemConversation(
        number=number,
        ticket_number=ticket.tracking.number,
        status=ticket.status,
        status_label=str(ticket.get_status_display()),
        closed=ticket.is_closed,
        messages=[_public(m, number=number) for m in rows],
    )


def public_attachment(*, number: str, attachment_id: int) -> Attachment | None:
    """An attachment the holder of `number` may open: of a public message of that
    ticket, or of a ticket about the request with that number."""
    return (
        Attachment.objects.select_related("message__ticket")
        .filter(pk=attachment_id, message__internal=False)
        .filter(Q(message__ticket__tracking__number=number) | Q(message__ticket__related_item__number=number))
        .first()
    )


def tickets_of_user(*, user, verified_email: str | None) -> QuerySet[Ticket]:
    """A customer's tickets: those opened while logged in, and those sent with their
    verified e-mail (never with an e-mail they have not proven is theirs)."""
    condition = Q(user=user)
    if verified_email:
        condition |= Q(customer_email__iexact=verified_email)
    return Ticket.objects.filter(condition).select_related("tracking").order_by("-created_at")


# --- the staff's reads ------------------------------------------------------------------


def overdue_q(now=None) -> Q:
    """Not answered yet and past its first-response target."""
    return Q(first_response_at__isnull=True, first_response_due_at__lt=now or timezone.now(), status__in=ACTIVE)


def staff_tickets(*, now=None) -> QuerySet[Ticket]:
    """Every ticket as the staff read it, newest first: with its number, the item it is
    about, its assignee, and `overdue` computed by the database (one query for a page)."""
    return (
        Ticket.objects.select_related("tracking", "related_item", "assignee")
        .annotate(overdue=ExpressionWrapper(overdue_q(now), output_field=BooleanField()))
        .order_by("-created_at", "-pk")
    )


def staff_ticket_list(
    *,
    status: str | None = None,
    category: str | None = None,
    priority: str | None = None,
    assignee_id: int | None = None,
    unassigned: bool = False,
    q: str = "",
) -> QuerySet[Ticket]:
    """The staff's filtered list; `q` searches the number, the subject and the
    customer's name and e-mail (case-insensitive, anywhere in them)."""
    tickets = staff_tickets()
    if status:
        tickets = tickets.filter(status=status)
    if category:
        tickets = tickets.filter(category=category)
    if priority:
        tickets = tickets.filter(priority=priority)
    if unassigned:
        tickets = tickets.filter(assignee__isnull=True)
    elif assignee_id is not None:
        tickets = tickets.filter(assignee_id=assignee_id)
    if q := q.strip():
        tickets = tickets.filter(
            Q(tracking__number__icontains=q)
            | Q(subject__icontains=q)
            | Q(customer_name__icontains=q)
            | Q(customer_email__icontains=q)
        )
    return tickets


def staff_thread(ticket: Ticket) -> list[Message]:
    """Every message of a ticket, internal notes included, with their authors and
    attachments (two queries). For staff only."""
    return list(
        Message.objects.filter(ticket=ticket)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))
        .order_by("created_at", "pk")
    )
