"""What the tickets API's routers share: a page of a list, the answer after a write."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest

from . import answers
from .access import own_tickets, staff_ticket


def page_of(queryset: QuerySet, *, page: int, page_size: int) -> tuple[list, dict]:
    """One page's rows and `{total, page, page_size}`: two queries (the count, the
    slice) whatever the number of rows; a page past the last one is empty."""
    total = queryset.count()
    rows = list(queryset[(page - 1) * page_size : page * page_size]) if total else []
    return rows, {"total": total, "page": page, "page_size": page_size}


def ticket_answer(request: HttpRequest, number: str, *, staff: bool) -> dict:
    """The ticket read again after a write (its new status, times and messages), as the
    writer sees it."""
    if staff:
        return answers.detail(request, staff_ticket(number), staff=True)
    ticket = own_tickets(request.auth.user).filter(tracking__number=number).get()
    return answers.detail(request, ticket, staff=False)
