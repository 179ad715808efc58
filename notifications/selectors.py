from __future__ import annotations

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from . import counts
from .models import Notification


def unread_count(*, user) -> int:
    """The user's unread notifications: from the cache (one round trip, no query), or
    one COUNT stored for the next pages (notifications.counts)."""
    cached, versions = counts.read(user.pk)
    if cached is not None:
        return cached
    value = Notification.objects.filter(user=user, read_at__isnull=True).count()
    counts.store(user.pk, versions, value)
    return value


def notification_list(*, user, unread_first: bool = True) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(user=user)
    if unread_first:
        is_read = ExpressionWrapper(Q(read_at__isnull=False), output_field=BooleanField())
        return notifications.alias(is_read=is_read).order_by("is_read", "-created_at", "-pk")
    return notifications.order_by("-created_at", "-pk")


def notification_get(*, user, notification_id: int) -> Notification | None:
    """One of the user's own notifications (None for anybody else's)."""
    return Notification.objects.filter(user=user, pk=notification_id).first()
