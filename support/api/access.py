"""Who may read or write which ticket through the API, in one place.

A customer reads their own tickets: opened while logged in, or sent with their verified
e-mail (support.selectors.tickets_of_user). Staff holding support.view_ticket read every
ticket (with its internal notes), those holding support.change_ticket write as staff;
staff powers come with the session or the staff token, never a personal token
(accounts.auth.Caller). Anyone else is told the ticket does not exist: the same 404 as
an unknown number, so that numbers cannot be probed through the API.
"""

from __future__ import annotations

from importlib import import_module

from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.permissions import require_permission
from tracking import numbers

from ..errors import TICKET_NOT_FOUND, TicketError
from ..models import Ticket
from ..selectors import staff_tickets, tickets_of_user

VIEW = "support.view_ticket"
CHANGE = "support.change_ticket"


def verified_email(user) -> str | None:
    """The e-mail address `user` has proven is theirs (accounts.selectors.verified_email,
    from the customer accounts), or None while the platform has no such proof."""
    try:
        selectors = import_module("accounts.selectors")
    except ModuleNotFoundError as exc:
        if exc.name != "accounts.selectors":
            raise
        return None
    find = getattr(selectors, "verified_email", None)
    return find(user) if find is not None else None


def not_found() -> TicketError:
    return TicketError(TICKET_NOT_FOUND, _("Ticket introuvable."))


def own_tickets(user):
    """The customer's tickets, as their lists show them (number and related item joined)."""
    return tickets_of_user(user=user, verified_email=verified_email(user)).select_related("related_item")


def _canonical(number: str) -> str:
    canonical = numbers.normalize(number)
    if canonical is None or numbers.prefix_of(canonical) != "TCK":
        raise not_found()
    return canonical


def staff_ticket(number: str) -> Ticket:
    """Any ticket, for a staff endpoint (its permission already checked by its auth)."""
    ticket = staff_tickets().filter(tracking__number=_canonical(number)).first()
    if ticket is None:
        raise not_found()
    return ticket


def readable_ticket(request: HttpRequest, number: str) -> tuple[Ticket, bool]:
    """The ticket `number` as the caller may read it, and whether they read it as staff."""
    caller = request.auth
    if caller.has_staff_permission(VIEW):
        return staff_ticket(number), True
    ticket = own_tickets(caller.user).filter(tracking__number=_canonical(number)).first()
    if ticket is None:
        raise not_found()
    return ticket, False


def writable_ticket(request: HttpRequest, number: str) -> tuple[Ticket, str]:
    """The ticket `number` the caller may write to, and the side they write on. Staff
    who may read it but not change it are refused (403), not told it does not exist."""
    caller = request.auth
    if caller.has_staff_permission(CHANGE):
        return staff_ticket(number), Ticket.Side.STAFF
    ticket = own_tickets(caller.user).filter(tracking__number=_canonical(number)).first()
    if ticket is not None:
        return ticket, Ticket.Side.CUSTOMER
    if caller.has_staff_permission(VIEW):
        staff_ticket(number)  # 404 for an unknown number, as for anyone
        require_permission(caller.user, CHANGE)
    raise not_found()
