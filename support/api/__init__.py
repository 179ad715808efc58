"""The tickets JSON API, mounted at /api/tickets/ (docs at /api/tickets/docs).

Customers open tickets (anonymously too), list and read their own and reply; staff read
every ticket with its internal notes, reply, move it along, assign it, filter the list
and read the figures. `{id}` in the paths is the ticket's TCK number. Authentication
(accounts.auth.SessionOrAnyToken): a personal token (`Bearer pt_...`), the staff token
(`Bearer <JWT>` from POST /api/v1/admin/token) or the session (X-CSRFToken on writes).
Refusals leave in the platform's envelope (core.api.EnvelopeApi).
"""

from __future__ import annotations

from importlib import import_module

from django.utils.translation import gettext_lazy

from accounts import errors as account_errors
from accounts.auth import SessionOrAnyToken
from core.api import EnvelopeApi

from .. import errors
from . import staff, tickets

# The HTTP status of each refusal of the support services (and of the staff token). A
# code missing here answers 400, never a 500.
STATUS = {
    account_errors.INVALID_TOKEN: 401,
    account_errors.TOKEN_EXPIRED: 401,
    errors.TICKET_NOT_FOUND: 404,
    errors.TICKET_CLOSED: 409,
    errors.TRANSITION_NOT_ALLOWED: 409,
    errors.INVALID_REQUEST: 422,
    errors.INVALID_ASSIGNEE: 422,
    errors.INTERNAL_FOR_STAFF_ONLY: 403,
}


def _upload_status() -> dict[str, int]:
    """The refusals of core.uploads (the attachments' checks), which may not be deployed
    yet: its own constants when it has them, else the codes it documents."""
    try:
        uploads = import_module("core.uploads")
    except ModuleNotFoundError as exc:
        if exc.name != "core.uploads":
            raise
        uploads = None
    codes = {"FILE_TOO_LARGE": 413, "FILE_TYPE_REFUSED": 415}
    return {getattr(uploads, code, code): status for code, status in codes.items()}


STATUS.update(_upload_status())


class TicketsApi(EnvelopeApi):
    STATUS = STATUS
    unauthorized_message = gettext_lazy("Authentification requise (session, jeton personnel ou jeton staff Bearer).")
    server_error_log = "tickets API error"


api = TicketsApi(
    title="Tickets",
    version="1.0.0",
    urls_namespace="tickets-api",
    auth=SessionOrAnyToken(),
    description=(
        "Support tickets (TCK-...). Customers: POST create (anonymous with name and e-mail), "
        "GET list, GET {id}, POST {id}/message. Staff (support.view_ticket to read, "
        "support.change_ticket to write): PATCH {id}/status, PATCH {id}/assign, GET admin/list, "
        "GET admin/stats. Authorization: Bearer pt_... (a personal token), Bearer <staff JWT> "
        "(POST /api/v1/admin/token) or the session (with X-CSRFToken). Lists: ?page=&page_size= "
        "(at most 100) → {items, total, page, page_size}. Someone else's ticket is 404."
    ),
)
api.add_router("", tickets.router)
api.add_router("", staff.router)

__all__ = ["STATUS", "api"]
