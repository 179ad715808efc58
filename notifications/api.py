"""The notifications JSON API, mounted at /api/notifications (docs at
/api/notifications/docs): the user's own notifications, unread first, and marking them
read. Session (with CSRF) or personal token; errors in the shared envelope."""

from __future__ import annotations

from datetime import datetime

from django.core.paginator import Paginator
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Schema

from accounts.auth import SessionOrToken
from core.api import EnvelopeApi

from .selectors import notification_list, unread_count
from .services import notifications_mark_read

PAGE_SIZE = 25


class NotificationsApi(EnvelopeApi):
    STATUS = {"NOTHING_TO_MARK": 422}
    unauthorized_message = gettext_lazy("Authentification requise (session ou jeton personnel Bearer).")
    server_error_log = "notifications API error"


api = NotificationsApi(
    title="Notifications",
    version="1.0.0",
    urls_namespace="notifications-api",
    auth=SessionOrToken(),
    # Mounted at /api/ with every route under "notifications" (ninja joins a prefix and a
    # route with no slash): GET /api/notifications and POST /api/notifications/read.
    docs_url="notifications/docs",
    openapi_url="notifications/openapi.json",
    description="The logged-in user's notifications. Authorization: Bearer pt_... or the session (with X-CSRFToken).",
)


class NotificationOut(Schema):
    id: int
    kind: str
    text: str
    link: str
    created_at: datetime
    read: bool


class NotificationPage(Schema):
    items: list[NotificationOut]
    count: int
    page: int
    pages: int
    unread: int


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=100_000)


class MarkReadIn(Schema):
    ids: list[int] | None = Field(None, max_length=1000)
    all: bool = False


class MarkReadOut(Schema):
    marked: int
    unread: int


@api.get("notifications", response=NotificationPage, url_name="list")
def list_notifications(request, query: Query[PageQuery]):
    """The user's notifications, unread first then newest first, 25 a page."""
    paginator = Paginator(notification_list(user=request.user), PAGE_SIZE)
    page = paginator.get_page(query.page)
    items = [
        {
            "id": n.pk,
            "kind": n.kind,
            "text": n.rendered_text(),
            "link": n.link,
            "created_at": n.created_at,
            "read": n.is_read,
        }
        for n in page.object_list
    ]
    return {
        "items": items,
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "unread": unread_count(user=request.user),
    }


@api.post("notifications/read", response=MarkReadOut, url_name="read")
def mark_read(request, payload: MarkReadIn):
    """`{"ids": [...]}` marks those (the user's own only), `{"all": true}` all of them."""
    marked = notifications_mark_read(user=request.user, ids=payload.ids, all=payload.all)
    return {"marked": marked, "unread": unread_count(user=request.user)}
