"""What support tells people: e-mails through the outbox and notifications through the
shared notifications app (bell, history, live count), each keyed on what it announces
so a retried transaction tells once. Internal notes tell no customer, ever.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy

from core.notify import notify_email, tracking_url
from tracking.notes import Note, register

NOTES = {
    "support.ticket_created": gettext_lazy("Nouveau ticket %(number)s : %(subject)s"),
    "support.customer_replied": gettext_lazy("%(name)s a répondu sur %(number)s : %(subject)s"),
    "support.staff_replied": gettext_lazy("L'équipe support a répondu sur %(number)s."),
    "support.status_changed": lambda params: (
        gettext_lazy("%(number)s est maintenant : %(status)s")
        % {"number": params["number"], "status": _status_label(params["status"])}
    ),
    "support.assigned": gettext_lazy("%(number)s vous est assigné : %(subject)s"),
}
register(NOTES)


def _status_label(status: str) -> str:
    from .models import Ticket

    return str(Ticket.Status(status).label) if status in Ticket.Status.values else status


def admin_link(ticket) -> str:
    return reverse("admin:support_ticket_change", args=[ticket.pk])


def customer_page(ticket) -> str:
    """Where the customer follows the conversation: the page they asked from (a
    revision's, a rental's...) or the ticket's own."""
    if ticket.source == ticket.Source.TRACKING and ticket.related_item_id:
        return ticket.related_item.number
    return ticket.tracking.number


def _notify(*, user, kind: str, note: Note, link: str, key: str) -> None:
    from notifications.services import notification_send

    notification_send(user=user, kind=kind, text=note, link=link, key=key)


def _team(ticket) -> list:
    """Who hears about a ticket on the staff side: its assignee, or the support team."""
    from .services import staff_users

    if ticket.assignee_id and ticket.assignee.is_active:
        return [ticket.assignee]
    return list(staff_users())


def _team_emails(ticket, team: list) -> list[str]:
    if ticket.assignee_id and ticket.assignee.email:
        return [ticket.assignee.email]
    if settings.SUPPORT_STAFF_EMAILS:
        return list(settings.SUPPORT_STAFF_EMAILS)
    return sorted({user.email for user in team if user.email})


def _context(ticket, **extra) -> dict:
    number = customer_page(ticket)
    return {
        "ticket": ticket,
        "number": ticket.tracking.number,
        "customer": ticket.customer_name,
        "url": tracking_url(number),
        "admin_url": settings.SITE_URL.rstrip("/") + admin_link(ticket),
        **extra,
    }


def _tell_team(ticket, *, kind: str, note: Note, template: str, key: str, message=None) -> None:
    team = _team(ticket)
    for user in team:
        _notify(user=user, kind=kind, note=note, link=admin_link(ticket), key=f"{key}:user:{user.pk}")
    for email in _team_emails(ticket, team):
        notify_email(
            key=f"{key}:email:{email}",
            to=email,
            template=template,
            context=_context(ticket, message=message),
        )


def ticket_created(*, ticket, message) -> None:
    number = ticket.tracking.number
    notify_email(
        key=f"ticket:{ticket.pk}:created",
        to=ticket.customer_email,
        template="support/email/created",
        language=ticket.tracking.language,
        context=_context(ticket),
    )
    _tell_team(
        ticket,
        kind="support.ticket_created",
        note=Note("support.ticket_created", {"number": number, "subject": ticket.subject}),
        template="support/email/staff_new",
        key=f"ticket:{ticket.pk}:created",
        message=message,
    )


def message_added(*, ticket, message) -> None:
    if message.internal:
        return
    number = ticket.tracking.number
    key = f"ticket-message:{message.pk}"
    if message.side == message.ticket.Side.STAFF:
        notify_email(
            key=f"{key}:email",
            to=ticket.customer_email,
            template="support/email/reply",
            language=ticket.tracking.language,
            context=_context(ticket, message=message),
        )
        if ticket.user_id:
            _notify(
                user=ticket.user,
                kind="support.staff_replied",
                note=Note("support.staff_replied", {"number": number}),
                link=reverse("tracking:detail", args=[customer_page(ticket)]),
                key=f"{key}:notice",
            )
        return
    _tell_team(
        ticket,
        kind="support.customer_replied",
        note=Note(
            "support.customer_replied", {"name": ticket.customer_name, "number": number, "subject": ticket.subject}
        ),
        template="support/email/staff_reply",
        key=key,
        message=message,
    )


def status_changed(*, ticket) -> None:
    """The customer's e-mail is the registry's status e-mail (tracking.services); an
    account also gets a notification."""
    if ticket.user_id:
        event_key = f"ticket:{ticket.pk}:status:{ticket.status}:{ticket.updated_at.timestamp()}"
        _notify(
            user=ticket.user,
            kind="support.status_changed",
            note=Note("support.status_changed", {"number": ticket.tracking.number, "status": ticket.status}),
            link=reverse("tracking:detail", args=[customer_page(ticket)]),
            key=event_key,
        )


def ticket_assigned(*, ticket, origin) -> None:
    assignee = ticket.assignee
    if assignee is None or (origin.actor is not None and origin.actor.pk == assignee.pk):
        return
    _notify(
        user=assignee,
        kind="support.assigned",
        note=Note("support.assigned", {"number": ticket.tracking.number, "subject": ticket.subject}),
        link=admin_link(ticket),
        key=f"ticket:{ticket.pk}:assigned:{assignee.pk}:{ticket.updated_at.timestamp()}",
    )
