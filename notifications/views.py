"""The notification pages: the header's bell (and its polled badge), the history,
"mark all read", and opening one notification."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.menu import logged_in_user

from .selectors import notification_get, notification_list, unread_count
from .services import notifications_mark_read

PAGE_SIZE = 25


def _bell_html(count: int) -> str:
    return render_to_string("notifications/_bell.html", {"count": count})


def bell(request: HttpRequest) -> str:
    """The bell in a logged-in user's header (accounts.menu): one cache round trip."""
    return _bell_html(unread_count(user=request.user))


@never_cache
@require_GET
def badge(request: HttpRequest) -> HttpResponse:
    """The bell again, polled by htmx every 15 seconds (no long-lived connection: the
    production workers are synchronous). 204 for a visitor: htmx then swaps nothing."""
    user = logged_in_user(request)
    if user is None:
        return HttpResponse(status=204)
    return HttpResponse(_bell_html(unread_count(user=user)))


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    page = Paginator(notification_list(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "unread": unread_count(user=request.user)}
    return render(request, "notifications/list.html", context)


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    notifications_mark_read(user=request.user, all=True)
    if request.headers.get("HX-Request"):
        # htmx swaps the list in place; the bell follows in the same response (out of band).
        page = Paginator(notification_list(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
        html = render_to_string("notifications/_list.html", {"page": page, "unread": 0}, request=request)
        return HttpResponse(html + render_to_string("notifications/_bell.html", {"count": 0, "oob": True}))
    return redirect("notifications:list")


@login_required
@require_POST
def open_notification(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one notification read and follow its link (a path on this site)."""
    notification = notification_get(user=request.user, notification_id=notification_id)
    if notification is None:
        raise Http404
    notifications_mark_read(user=request.user, ids=[notification.pk])
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
        return redirect(link)
    return redirect("notifications:list")
