"""Request bodies, query parameters and answers of the tickets API.

Text fields are checked by the services (support.services: required, lengths, allowed
categories and priorities), so a rule is written once and every door answers the same
422 INVALID_REQUEST naming the field (`details.field`, and `details.allowed` for a
choice). The schemas here only say what type each field is and, for the docs, which
values a choice takes.

One answer shape for every reader: the staff-only fields (`assignee`, `customer`,
`first_response_due_at`, `overdue`, a message's `internal`) are absent from the
customer's answers (the routes leave out unset fields), never null placeholders.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from annotated_types import Ge, Le
from ninja import Field, Schema

from core.schemas import INT64_MAX, Page

from ..models import Ticket

PAGE_SIZE = 20
PAGE_SIZE_MAX = 100
PageSize = Annotated[int, Ge(1), Le(PAGE_SIZE_MAX)]


def _choice(choices, description: str):
    # A string the service checks (422 with `details.allowed`), documented as an enum.
    return Field(description=description, json_schema_extra={"enum": list(choices.values)})


# --- requests -----------------------------------------------------------------------


class TicketCreateIn(Schema):
    subject: str = Field(..., description="At most 200 characters")
    message: str = Field(..., description="The first message, at most 10,000 characters")
    category: str = _choice(Ticket.Category, "The ticket's category")
    priority: str = Field(
        Ticket.Priority.NORMAL, description="The ticket's priority", json_schema_extra={"enum": Ticket.Priority.values}
    )
    name: str = Field("", description="Required without an account (default: the account's name)")
    email: str = Field("", description="Required without an account (default: the account's e-mail)")
    phone: str = Field("", description="Optional, at most 32 characters")


class MessageIn(Schema):
    body: str = Field(..., description="At most 10,000 characters")
    internal: bool = Field(False, description="An internal note, never shown to the customer (staff only)")


class StatusIn(Schema):
    status: str = _choice(Ticket.Status, "The new status")
    note: str = Field("", max_length=500, description="Shown in the ticket's public history")
    notify: bool = Field(True, description="E-mail the customer the new status")


class AssignIn(Schema):
    assignee_id: Annotated[int, Ge(1), Le(INT64_MAX)] | None = Field(
        ..., description="A support staff member's user id, or null to unassign"
    )


class PageQuery(Schema):
    page: Page = 1
    page_size: PageSize = PAGE_SIZE


class AdminListQuery(PageQuery):
    status: Ticket.Status | None = None
    category: Ticket.Category | None = None
    priority: Ticket.Priority | None = None
    assignee: str | None = Field(None, pattern=r"^(none|[1-9][0-9]{0,17})$", description='A user id, or "none"')
    q: str = Field("", max_length=200, description="In the number, subject, customer's name or e-mail")


# --- answers ------------------------------------------------------------------------


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    url: str


class MessageOut(Schema):
    id: int
    at: datetime
    side: str
    body: str
    internal: bool | None = Field(None, description="Staff answers only")
    attachments: list[AttachmentOut]


class PersonOut(Schema):
    id: int
    name: str


class CustomerOut(Schema):
    name: str
    email: str
    phone: str


class TicketSummaryOut(Schema):
    id: str = Field(..., description="The TCK number, as the paths take it")
    tracking_number: str
    subject: str
    category: str
    priority: str
    status: str
    status_label: str
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    related: str | None = Field(..., description="The number of the request the ticket is about")
    tracking_url: str
    # Staff answers only:
    assignee: PersonOut | None = None
    customer: CustomerOut | None = None
    first_response_due_at: datetime | None = None
    overdue: bool | None = None


class TicketOut(TicketSummaryOut):
    messages: list[MessageOut]


class TicketPage(Schema):
    items: list[TicketSummaryOut]
    total: int
    page: int
    page_size: int


class StatsOut(Schema):
    total: int
    by_status: dict[str, int]
    by_category: dict[str, int]
    by_priority: dict[str, int]
    avg_first_response_seconds: float | None
    avg_resolution_seconds: float | None
    avg_resolution_time: str | None = Field(..., description='In the request\'s language, e.g. "4,5 heures"')
    open_older_than_7_days: int
