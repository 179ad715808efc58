"""What the support services refuse. Each web layer maps the code to its answer once
(support/api: the JSON envelope and status; the views: a form error or a message)."""

from core.errors import DomainError

TICKET_NOT_FOUND = "TICKET_NOT_FOUND"
# A closed ticket takes no reply: details say a follow-up ticket can be opened.
TICKET_CLOSED = "TICKET_CLOSED"
INVALID_REQUEST = "INVALID_REQUEST"
INVALID_ASSIGNEE = "INVALID_ASSIGNEE"
# A status change the state machine refuses (tracking.services.TransitionError has the
# same code): details list the allowed targets.
TRANSITION_NOT_ALLOWED = "TRANSITION_NOT_ALLOWED"
INTERNAL_FOR_STAFF_ONLY = "INTERNAL_FOR_STAFF_ONLY"


class TicketError(DomainError):
    pass
