"""Tickets made through the real services, and support staff with the real permissions."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from support.models import Ticket
from support.services import message_add, ticket_create


def make_ticket(**overrides) -> Ticket:
    data = {
        "subject": "Ma commande n'est pas arrivée",
        "message": "Bonjour, j'attends depuis 10 jours.",
        "category": Ticket.Category.GENERAL,
        "priority": Ticket.Priority.NORMAL,
        "name": "Awa Diop",
        "email": "awa.diop@example.com",
    }
    data.update(overrides)
    return ticket_create(**data)


def make_support_staff(username: str = "agent", *, perms=("view_ticket", "change_ticket"), **fields):
    user = get_user_model().objects.create_user(
        username=username, password="pw-agent-123", is_staff=True, email=f"{username}@example.com", **fields
    )
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="support", codename__in=perms))
    return get_user_model().objects.get(pk=user.pk)  # permissions cache reset


def staff_reply(ticket: Ticket, body: str = "Nous regardons.", *, author=None, internal: bool = False):
    return message_add(ticket=ticket, body=body, side=Ticket.Side.STAFF, author=author, internal=internal)


def customer_reply(ticket: Ticket, body: str = "Merci, toujours rien."):
    return message_add(ticket=ticket, body=body, side=Ticket.Side.CUSTOMER)
