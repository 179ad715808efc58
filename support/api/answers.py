"""The tickets API's answers (their shapes are in `schemas`).

The customer's view is the tracking page's: public messages only, as
support.selectors.public_thread gives them (contact details typed in masked). The
staff's view adds the internal notes, the assignee, the customer's contact details and
the first-response target. Either costs a constant number of queries: the ticket (its
number, related item and assignee joined) and its messages with their attachments.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from core.masking import mask_contacts

from ..models import Message, Ticket
from ..selectors import public_thread, staff_thread


def _person(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.get_username()}


def summary(request: HttpRequest, ticket: Ticket, *, staff: bool) -> dict:
    """A ticket in a list (no messages)."""
    number = ticket.tracking.number
    data = {
        "id": number,
        "tracking_number": number,
        "subject": ticket.subject if staff else mask_contacts(ticket.subject),
        "category": ticket.category,
        "priority": ticket.priority,
        "status": ticket.status,
        "status_label": str(ticket.get_status_display()),
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "first_response_at": ticket.first_response_at,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "related": ticket.related_item.number if ticket.related_item_id else None,
        "tracking_url": request.build_absolute_uri(ticket.get_absolute_url()),
    }
    if staff:
        data.update(
            assignee=_person(ticket.assignee),
            customer={"name": ticket.customer_name, "email": ticket.customer_email, "phone": ticket.customer_phone},
            first_response_due_at=ticket.first_response_due_at,
            overdue=ticket.overdue,
        )
    return data


def _staff_message(request: HttpRequest, message: Message) -> dict:
    return {
        "id": message.pk,
        "at": message.created_at,
        "side": message.side,
        "body": message.body,
        "internal": message.internal,
        "attachments": [
            {
                "id": a.pk,
                "name": a.name,
                "content_type": a.content_type,
                "size": a.size,
                "url": request.build_absolute_uri(reverse("support:staff-attachment", args=[a.pk])),
            }
            for a in message.attachments.all()
        ],
    }


def _customer_messages(request: HttpRequest, ticket: Ticket) -> list[dict]:
    # Internal notes are not in public_thread: filtered out by its query.
    return [
        {
            "id": m.id,
            "at": m.at,
            "side": m.side,
            "body": m.body,
            "attachments": [{**a.as_json(), "url": request.build_absolute_uri(a.url)} for a in m.attachments],
        }
        for m in public_thread(ticket)
    ]


def detail(request: HttpRequest, ticket: Ticket, *, staff: bool) -> dict:
    """A ticket with its conversation, as the staff or as its customer read it."""
    if staff:
        messages = [_staff_message(request, m) for m in staff_thread(ticket)]
    else:
        messages = _customer_messages(request, ticket)
    return {**summary(request, ticket, staff=staff), "messages": messages}
