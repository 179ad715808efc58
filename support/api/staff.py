"""The staff's endpoints: move a ticket along, assign it, the filtered list, the figures.
Each one's auth requires its permission (support.view_ticket to read,
support.change_ticket to write), through the session or the staff token."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from accounts.auth import SessionOrAnyToken
from core.origin import Origin

from ..errors import INVALID_ASSIGNEE, TicketError
from ..selectors import staff_ticket_list
from ..services import ticket_assign, ticket_status_change
from ..stats import ticket_stats
from . import answers
from .access import CHANGE, VIEW, staff_ticket
from .common import page_of, ticket_answer
from .schemas import AdminListQuery, AssignIn, StatsOut, StatusIn, TicketOut, TicketPage

router = Router(tags=["staff"])
can_view = SessionOrAnyToken(permission=VIEW)
can_change = SessionOrAnyToken(permission=CHANGE)


@router.get(
    "admin/list",
    response=TicketPage,
    exclude_unset=True,
    auth=can_view,
    url_name="admin-list",
    summary="Every ticket, filtered, newest first",
)
def admin_list(request: HttpRequest, query: Query[AdminListQuery]):
    assignee = query.assignee
    tickets = staff_ticket_list(
        status=query.status,
        category=query.category,
        priority=query.priority,
        assignee_id=int(assignee) if assignee and assignee != "none" else None,
        unassigned=assignee == "none",
        q=query.q,
    )
    rows, page = page_of(tickets, page=query.page, page_size=query.page_size)
    return {"items": [answers.summary(request, t, staff=True) for t in rows], **page}


@router.get("admin/stats", response=StatsOut, auth=can_view, url_name="admin-stats", summary="Support figures")
def admin_stats(request: HttpRequest):
    """Counts by status, category and priority, average first-response and resolution
    times (from the times stored when they happened), tickets open for over a week."""
    return ticket_stats()


@router.patch(
    "{id}/status",
    response=TicketOut,
    exclude_unset=True,
    auth=can_change,
    url_name="status",
    summary="Change a ticket's status",
)
def status(request: HttpRequest, id: str, payload: StatusIn):  # noqa: A002 - the path's name
    """A refused transition: 409 TRANSITION_NOT_ALLOWED, `details.allowed` listing the
    statuses the ticket may go to."""
    ticket = staff_ticket(id)
    ticket_status_change(
        ticket=ticket,
        to_status=payload.status,
        note=payload.note,
        notify=payload.notify,
        origin=Origin.from_request(request),
    )
    return ticket_answer(request, ticket.tracking.number, staff=True)


@router.patch(
    "{id}/assign",
    response=TicketOut,
    exclude_unset=True,
    auth=can_change,
    url_name="assign",
    summary="Assign a ticket (null: unassign)",
)
def assign(request: HttpRequest, id: str, payload: AssignIn):  # noqa: A002 - the path's name
    """To an active staff member holding support.change_ticket; anyone else (or an
    unknown id): 422 INVALID_ASSIGNEE."""
    ticket = staff_ticket(id)
    assignee = None
    if payload.assignee_id is not None:
        assignee = get_user_model().objects.filter(pk=payload.assignee_id).first()
        if assignee is None:
            raise TicketError(
                INVALID_ASSIGNEE,
                _("Un ticket ne peut être assigné qu'à un membre actif de l'équipe support."),
                details={"assignee_id": payload.assignee_id},
            )
    ticket_assign(ticket=ticket, assignee=assignee, origin=Origin.from_request(request))
    return ticket_answer(request, ticket.tracking.number, staff=True)
