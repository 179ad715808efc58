"""Notification actions: send one, broadcast to a role, mark read. Every domain (leads,
support, payments) sends through notification_send()."""

from __future__ import annotations

import json

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from tracking import notes
from tracking.notes import Note

from . import counts, roles
from .errors import INVALID_LINK, NOTHING_TO_MARK, UNKNOWN_ROLE, NotificationError
from .models import Broadcast, Notification

BROADCAST_KIND = "broadcast"
_TABLE = Notification._meta.db_table
_COLUMNS = "user_id, kind, text, message_key, params, link, key, created_at"
# PostgreSQL and SQLite (the demo) both run these: ON CONFLICT ... DO NOTHING RETURNING
# exists in both; only PostgreSQL needs the JSON text cast to jsonb.
_INSERT_ONE = (
    f"INSERT INTO {_TABLE} ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s{{json}}, %s, %s, %s) "  # noqa: S608 - our own names
    "ON CONFLICT (key) DO NOTHING RETURNING id"
)
# Completed with the users' query as Django compiles it (its parameters follow ours).
_INSERT_FROM_USERS = (
    f"INSERT INTO {_TABLE} ({_COLUMNS}) "  # noqa: S608 - our own names
    "SELECT u.uid, %s, %s, '', '{{}}'{json}, %s, %s || CAST(u.uid AS TEXT), %s "
    # WHERE true: SQLite needs it to parse ON CONFLICT after a SELECT.
    "FROM ({users_sql}) AS u WHERE true ON CONFLICT (key) DO NOTHING"
)


def _json_cast() -> str:
    return "::jsonb" if connection.vendor == "postgresql" else ""


def check_link(link: str) -> str:
    """A path on this site, or nothing: a notification never sends a user elsewhere."""
    link = (link or "").strip()
    if link and (not link.startswith("/") or link.startswith("//") or "\\" in link or len(link) > 500):
        raise NotificationError(INVALID_LINK, _("Le lien doit être un chemin de ce site, commençant par « / »."))
    return link


@transaction.atomic
def notification_send(
    *, user, kind: str, text: Note | str, link: str = "", key: str | None = None
) -> Notification | None:
    """Notify `user`. `text` is a Note (a registered message key, rendered in the
    reader's language) or plain text. With `key`, sending again with the same key
    creates nothing and returns None: callers key their notices on what they announce
    ("lead:42:created") and may run twice."""
    link = check_link(link)
    default_text, message_key, params = notes.stored(text)
    now = timezone.now()
    if key is None:
        notification = Notification.objects.create(
            user=user, kind=kind, text=default_text, message_key=message_key, params=params, link=link
        )
    else:
        # ON CONFLICT DO NOTHING: of two senders racing with one key, the second inserts
        # nothing and gets no row back (get_or_create would raise an IntegrityError there).
        with connection.cursor() as cursor:
            cursor.execute(
                _INSERT_ONE.format(json=_json_cast()),
                [user.pk, kind, default_text, message_key, json.dumps(params), link, key, now],
            )
            row = cursor.fetchone()
        if row is None:
            return None
        notification = Notification(
            pk=row[0],
            user=user,
            kind=kind,
            text=default_text,
            message_key=message_key,
            params=params,
            link=link,
            key=key,
            created_at=now,
        )
    counts.changed(user.pk)
    return notification


@transaction.atomic
def notifications_broadcast(*, role: str, text: str, link: str = "", actor) -> Broadcast:
    """Send `text` to every active user of `role` (notifications.roles) in one
    INSERT ... SELECT: no user rows come to Python, whatever their number. Each row is
    keyed "broadcast:<id>:<user id>", so it is sent once per user."""
    target = roles.get(role)
    if target is None:
        raise NotificationError(UNKNOWN_ROLE, _("Destinataires inconnus."), details={"role": role})
    link = check_link(link)
    broadcast = Broadcast.objects.create(role=role, text=text, link=link, created_by=actor)
    # Aliased: SQLite names a subquery's column only by its alias.
    users = target.users().filter(is_active=True).annotate(uid=F("pk")).values("uid")
    users_sql, users_params = users.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_FROM_USERS.format(users_sql=users_sql, json=_json_cast()),
            [BROADCAST_KIND, text, link, f"broadcast:{broadcast.pk}:", timezone.now(), *users_params],
        )
        broadcast.recipients = cursor.rowcount
    broadcast.save(update_fields=["recipients"])
    counts.changed_for_everyone()
    return broadcast


def notifications_mark_read(*, user, ids: list[int] | None = None, all: bool = False) -> int:  # noqa: A002
    """Mark `user`'s notifications `ids` (or all of them) read, in one UPDATE; other
    users' ids are ignored. Returns how many were unread."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if not all:
        if ids is None:
            raise NotificationError(NOTHING_TO_MARK, _("Indiquez les notifications à marquer comme lues."))
        unread = unread.filter(pk__in=ids)
    with transaction.atomic():
        marked = unread.update(read_at=timezone.now())
        if marked:
            counts.changed(user.pk)
    return marked
