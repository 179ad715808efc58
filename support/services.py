"""Support actions: open a ticket, add a message, change status, assign, close the
resolved ones. Every status change goes through tracking.services (the transition map
of support.tracking, a history row each); the times the reports need are stored here,
when they happen.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.origin import SYSTEM, Origin
from tracking import caching
from tracking import services as tracking_services
from tracking.models import TrackedItem
from tracking.notes import Note
from tracking.registry import Customer

from . import attachments, notices, targets
from .errors import (
    INTERNAL_FOR_STAFF_ONLY,
    INVALID_ASSIGNEE,
    INVALID_REQUEST,
    TICKET_CLOSED,
    TRANSITION_NOT_ALLOWED,
    TicketError,
)
from .models import Message, Ticket
from .tracking import TRANSITIONS

S = Ticket.Status
SUBJECT_MAX = 200
BODY_MAX = 10_000


def _text(value, *, field: str, max_length: int, required: bool = True) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        raise TicketError(INVALID_REQUEST, _("Valeur invalide."), details={"field": field})
    if required and not text:
        raise TicketError(INVALID_REQUEST, _("Ce champ est obligatoire."), details={"field": field})
    if len(text) > max_length:
        raise TicketError(
            INVALID_REQUEST,
            _("%(max)s caractères au plus.") % {"max": max_length},
            details={"field": field, "max_length": max_length},
        )
    if "\x00" in text:
        raise TicketError(INVALID_REQUEST, _("Caractère interdit."), details={"field": field})
    return text


def _choice(value: str, *, field: str, choices) -> str:
    if value not in choices.values:
        raise TicketError(
            INVALID_REQUEST,
            _("Valeur inconnue. Valeurs possibles : %(values)s.") % {"values": ", ".join(choices.values)},
            details={"field": field, "allowed": list(choices.values)},
        )
    return value


def _customer(*, user, name: str, email: str, phone: str) -> Customer:
    """The customer to write to: the account's name and e-mail when logged in (what was
    typed wins when given), else what was typed, both required."""
    if user is not None and user.is_authenticated:
        name = name or user.get_full_name() or user.get_username()
        email = email or user.email
    name = _text(name, field="name", max_length=120)
    email = _text(email, field="email", max_length=254)
    try:
        validate_email(email)
    except ValidationError:
        raise TicketError(INVALID_REQUEST, _("Adresse e-mail invalide."), details={"field": "email"}) from None
    return Customer(name=name, email=email, phone=_text(phone, field="phone", max_length=32, required=False))


@transaction.atomic
def ticket_create(
    *,
    subject: str,
    message: str,
    category: str = Ticket.Category.GENERAL,
    priority: str = Ticket.Priority.NORMAL,
    name: str = "",
    email: str = "",
    phone: str = "",
    user=None,
    source: str = Ticket.Source.CONTACT,
    related_item: TrackedItem | None = None,
    follows: Ticket | None = None,
    files: Sequence[UploadedFile] = (),
    origin: Origin = SYSTEM,
) -> Ticket:
    """Open a ticket: its TCK number, its first message (the description), the customer's
    acknowledgement and the staff's alert (after commit)."""
    subject = _text(subject, field="subject", max_length=SUBJECT_MAX)
    body = _text(message, field="message", max_length=BODY_MAX)
    category = _choice(category, field="category", choices=Ticket.Category)
    priority = _choice(priority or Ticket.Priority.NORMAL, field="priority", choices=Ticket.Priority)
    customer = _customer(user=user, name=name, email=email, phone=phone)
    checked = attachments.check_all(files)
    item = tracking_services.tracked_item_allocate(
        prefix="TCK", initial_status=S.OPEN, note=Note("ticket.created"), origin=origin
    )
    now = timezone.now()
    ticket = Ticket.objects.create(
        tracking=item,
        subject=subject,
        description=body,
        category=category,
        priority=priority,
        source=source,
        user=user if user is not None and user.is_authenticated else None,
        customer_name=customer.name,
        customer_email=customer.email,
        customer_phone=customer.phone,
        related_item=related_item,
        follows=follows,
        first_response_due_at=targets.first_response_due(start=now, priority=priority),
        last_message_side=Ticket.Side.CUSTOMER,
        last_message_at=now,
    )
    first = Message.objects.create(
        ticket=ticket,
        side=Ticket.Side.CUSTOMER,
        author=ticket.user,
        body=body,
        ip=origin.ip,
        user_agent=origin.user_agent,
    )
    attachments.store_all(message=first, files=checked)
    _changed(ticket)
    notices.ticket_created(ticket=ticket, message=first)
    return ticket


def _locked(ticket: Ticket) -> Ticket:
    """The ticket row locked for this transaction, with its tracking row: messages and
    status changes of one ticket happen one after the other."""
    return Ticket.objects.select_for_update(of=("self",)).select_related("tracking", "related_item").get(pk=ticket.pk)


def _changed(ticket: Ticket) -> None:
    """The ticket's public page and JSON, and those of the item it is about, are stale."""
    caching.invalidate(ticket.tracking.number)
    if ticket.related_item_id:
        caching.invalidate(ticket.related_item.number)


def _status_fields(ticket: Ticket, to_status: str, now) -> dict:
    """The stored times that go with a status: resolved_at when it is resolved (and
    cleared when it is reopened, so a resolution time is that of the last resolution),
    closed_at when it is closed."""
    fields: dict = {}
    if to_status == S.RESOLVED:
        fields["resolved_at"] = now
    elif to_status == S.CLOSED:
        fields["closed_at"] = now
        if ticket.resolved_at is None:
            fields["resolved_at"] = now
    elif ticket.resolved_at is not None:
        fields["resolved_at"] = None
    return fields


def _move(ticket: Ticket, to_status: str, *, note, origin: Origin, notify: bool, fields: dict | None = None) -> None:
    now = timezone.now()
    tracking_services.status_change(
        obj=ticket,
        to_status=to_status,
        note=note,
        notify=notify,
        origin=origin,
        fields={**_status_fields(ticket, to_status, now), **(fields or {})},
    )


def closed_refusal(ticket: Ticket) -> TicketError:
    return TicketError(
        TICKET_CLOSED,
        _("Ce ticket est fermé : il ne reçoit plus de réponse. Ouvrez un nouveau ticket, il lui sera lié."),
        details={"ticket": ticket.tracking.number, "follow_up": True},
    )


@transaction.atomic
def message_add(
    *,
    ticket: Ticket,
    body: str,
    side: str,
    author=None,
    internal: bool = False,
    files: Sequence[UploadedFile] = (),
    origin: Origin = SYSTEM,
) -> Message:
    """A reply or an internal note.

    A customer's reply reopens a ticket that waits for them or is resolved; the staff's
    first public reply is the ticket's first response and starts working on an open
    ticket. Internal notes change nothing the customer sees and tell no customer.
    """
    body = _text(body, field="body", max_length=BODY_MAX)
    if internal and side != Ticket.Side.STAFF:
        raise TicketError(INTERNAL_FOR_STAFF_ONLY, _("Seule l'équipe peut écrire une note interne."))
    checked = attachments.check_all(files)
    ticket = _locked(ticket)
    if ticket.is_closed:
        raise closed_refusal(ticket)
    now = timezone.now()
    message = Message.objects.create(
        ticket=ticket,
        side=side,
        author=author if author is not None and author.is_authenticated else None,
        body=body,
        internal=internal,
        ip=origin.ip,
        user_agent=origin.user_agent,
    )
    attachments.store_all(message=message, files=checked)
    if not internal:
        fields = {"last_message_side": side, "last_message_at": now}
        if side == Ticket.Side.CUSTOMER and ticket.status in (S.WAITING, S.RESOLVED):
            _move(ticket, S.OPEN, note=Note("ticket.reopened"), origin=origin, notify=False, fields=fields)
        elif side == Ticket.Side.STAFF and ticket.status == S.OPEN:
            if ticket.first_response_at is None:
                fields["first_response_at"] = now
            _move(ticket, S.IN_PROGRESS, note=Note("ticket.answered"), origin=origin, notify=False, fields=fields)
        else:
            if side == Ticket.Side.STAFF and ticket.first_response_at is None:
                fields["first_response_at"] = now
            Ticket.objects.filter(pk=ticket.pk).update(**fields, updated_at=now)
            for name, value in fields.items():
                setattr(ticket, name, value)
    _changed(ticket)
    notices.message_added(ticket=ticket, message=message)
    return message


def allowed_statuses(ticket: Ticket) -> list[str]:
    return sorted(TRANSITIONS.get(ticket.status, frozenset()))


@transaction.atomic
def ticket_status_change(
    *, ticket: Ticket, to_status: str, note: str = "", notify: bool = True, origin: Origin = SYSTEM
) -> Ticket:
    """Staff move a ticket along; with `notify`, the customer is e-mailed the new status."""
    _choice(to_status, field="status", choices=Ticket.Status)
    ticket = _locked(ticket)
    if to_status not in TRANSITIONS.get(ticket.status, frozenset()):
        raise TicketError(
            TRANSITION_NOT_ALLOWED,
            _("Un ticket « %(from)s » ne peut pas passer à « %(to)s ».")
            % {"from": ticket.get_status_display(), "to": Ticket.Status(to_status).label},
            details={"from": ticket.status, "to": to_status, "allowed": allowed_statuses(ticket)},
        )
    _move(ticket, to_status, note=note.strip(), origin=origin, notify=notify)
    _changed(ticket)
    if notify:
        notices.status_changed(ticket=ticket)
    return ticket


def staff_users():
    """Who may be assigned a ticket: active staff holding support.change_ticket."""
    return (
        get_user_model()
        .objects.with_perm("support.change_ticket", include_superusers=True)
        .filter(is_active=True, is_staff=True)
    )


@transaction.atomic
def ticket_assign(*, ticket: Ticket, assignee, origin: Origin = SYSTEM) -> Ticket:
    """Assign to a member of staff (None: unassign). An internal history row says who."""
    if assignee is not None and not staff_users().filter(pk=assignee.pk).exists():
        raise TicketError(
            INVALID_ASSIGNEE,
            _("Un ticket ne peut être assigné qu'à un membre actif de l'équipe support."),
            details={"assignee_id": assignee.pk},
        )
    ticket = _locked(ticket)
    if ticket.assignee_id == (assignee.pk if assignee else None):
        return ticket
    Ticket.objects.filter(pk=ticket.pk).update(assignee=assignee, updated_at=timezone.now())
    ticket.assignee = assignee
    note = (
        Note("ticket.assigned", {"name": assignee.get_full_name() or assignee.get_username()})
        if assignee
        else Note("ticket.unassigned")
    )
    tracking_services.event_record(obj=ticket, note=note, origin=origin, internal=True)
    notices.ticket_assigned(ticket=ticket, origin=origin)
    return ticket


@transaction.atomic
def ticket_priority_set(*, ticket: Ticket, priority: str, origin: Origin = SYSTEM) -> Ticket:
    """Change the priority; the first-response target follows while nobody has answered."""
    priority = _choice(priority, field="priority", choices=Ticket.Priority)
    ticket = _locked(ticket)
    fields = {"priority": priority, "updated_at": timezone.now()}
    if ticket.first_response_at is None:
        fields["first_response_due_at"] = targets.first_response_due(start=ticket.created_at, priority=priority)
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
    for name, value in fields.items():
        setattr(ticket, name, value)
    return ticket


def ticket_follow_up(*, ticket: Ticket, message: str, user=None, origin: Origin = SYSTEM) -> Ticket:
    """A new ticket that follows a closed one: same customer, same item, linked."""
    return ticket_create(
        subject=_("Suite de %(number)s : %(subject)s") % {"number": ticket.tracking.number, "subject": ticket.subject},
        message=message,
        category=ticket.category,
        priority=ticket.priority,
        name=ticket.customer_name,
        email=ticket.customer_email,
        phone=ticket.customer_phone,
        user=user if user is not None and user.is_authenticated else ticket.user,
        source=Ticket.Source.TRACKING,
        related_item=ticket.related_item,
        follows=ticket,
        origin=origin,
    )


@transaction.atomic
def tracking_question(
    *,
    item: TrackedItem,
    customer: Customer | None,
    body: str,
    files: Sequence[UploadedFile] = (),
    user=None,
    origin: Origin = SYSTEM,
) -> Message:
    """A question asked on the tracking page of another request (a revision, a rental...):
    the first one opens a ticket about that request, later ones join it while it is not
    closed. The item's row is locked so that two first questions make one ticket."""
    TrackedItem.objects.select_for_update().filter(pk=item.pk).first()
    current = (
        Ticket.objects.filter(related_item=item, source=Ticket.Source.TRACKING)
        .exclude(status=S.CLOSED)
        .order_by("-created_at")
        .first()
    )
    if current is not None:
        return message_add(
            ticket=current, body=body, side=Ticket.Side.CUSTOMER, author=user, files=files, origin=origin
        )
    if customer is None or not customer.email:
        raise TicketError(INVALID_REQUEST, _("Cette demande n'a pas d'e-mail pour vous répondre."))
    # After a closed conversation, the new one follows it (staff see the earlier thread).
    previous = Ticket.objects.filter(related_item=item, source=Ticket.Source.TRACKING).order_by("-created_at").first()
    ticket = ticket_create(
        subject=_("Question sur %(number)s") % {"number": item.number},
        message=body,
        category=Ticket.Category.GENERAL,
        name=customer.name,
        email=customer.email,
        phone=customer.phone,
        user=user,
        source=Ticket.Source.TRACKING,
        related_item=item,
        follows=previous,
        files=files,
        origin=origin,
    )
    return ticket.messages.get()


def close_resolved(*, now=None) -> int:
    """Beat: resolved tickets past SUPPORT_AUTO_CLOSE_DAYS close, each with its history
    row and the customer's e-mail; a second run finds nothing (set-based, SKIP LOCKED)."""
    now = now or timezone.now()
    days = settings.SUPPORT_AUTO_CLOSE_DAYS
    queryset = Ticket.objects.filter(status=S.RESOLVED, resolved_at__lte=now - timedelta(days=days))
    return tracking_services.status_change_many(
        queryset=queryset,
        to_status=S.CLOSED,
        note=Note("ticket.auto_closed", {"days": days}),
        notify=True,
        fields={"closed_at": now},
        after=_changed,
    )
