"""How tickets appear in unified tracking (registered from SupportConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from tracking.registry import Customer, Step, TrackedService

from .models import Attachment, Message, Ticket

S = Ticket.Status

# The one place that says which status may follow which. A customer's reply reopens a
# ticket waiting for them or resolved (support.services); a closed ticket is final.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.OPEN: frozenset({S.IN_PROGRESS, S.WAITING, S.RESOLVED, S.CLOSED}),
    S.IN_PROGRESS: frozenset({S.OPEN, S.WAITING, S.RESOLVED, S.CLOSED}),
    S.WAITING: frozenset({S.OPEN, S.IN_PROGRESS, S.RESOLVED, S.CLOSED}),
    S.RESOLVED: frozenset({S.OPEN, S.CLOSED}),
    S.CLOSED: frozenset(),
}

STEPS = (
    Step("recu", _("Reçu"), frozenset({S.OPEN})),
    Step("en_cours", _("En cours"), frozenset({S.IN_PROGRESS, S.WAITING})),
    Step("resolu", _("Résolu"), frozenset({S.RESOLVED})),
    Step("ferme", _("Fermé"), frozenset({S.CLOSED})),
)

NOTES = {
    "ticket.created": _("Ticket créé."),
    "ticket.reopened": _("Réouvert par la réponse du client."),
    "ticket.answered": _("L'équipe a répondu."),
    "ticket.auto_closed": _("Fermé automatiquement %(days)s jours après sa résolution."),
    "ticket.assigned": _("Assigné à %(name)s."),
    "ticket.unassigned": _("Plus assigné."),
}


def details(ticket: Ticket) -> dict:
    from .selectors import public_details

    return public_details(ticket)


def conversation_panel(obj):
    """The conversation on a tracking page: a ticket's own, or the one about another
    request (a revision, a rental...)."""
    from .selectors import conversation_context, item_conversation, public_thread

    number = obj.tracking.number
    if isinstance(obj, Ticket):
        return conversation_context(number=number, ticket=obj, thread=public_thread(obj))
    return conversation_context(number=number, conversation=item_conversation(item_id=obj.tracking_id, number=number))


def expected_delay(ticket: Ticket) -> str:
    """The first-response target of its priority, for the confirmation page."""
    from django.conf import settings
    from django.utils.translation import ngettext

    from .targets import parse

    amount, unit = parse(settings.SUPPORT_FIRST_RESPONSE_TARGETS[ticket.priority])
    if unit == "h":
        text = ngettext(
            "Notre équipe vous répond sous %(n)s heure, ici et par e-mail.",
            "Notre équipe vous répond sous %(n)s heures, ici et par e-mail.",
            amount,
        )
    else:
        text = ngettext(
            "Notre équipe vous répond sous %(n)s jour ouvré, ici et par e-mail.",
            "Notre équipe vous répond sous %(n)s jours ouvrés, ici et par e-mail.",
            amount,
        )
    return text % {"n": amount}


def customer(ticket: Ticket) -> Customer:
    return Customer(name=ticket.customer_name, email=ticket.customer_email, phone=ticket.customer_phone)


SERVICE = TrackedService(
    prefix="TCK",
    label=_("Ticket support"),
    model=Ticket,
    template="support/_tracking.html",
    status_choices=Ticket.Status,
    transitions=TRANSITIONS,
    steps=STEPS,
    details=details,
    select_related=("related_item",),
    # The public thread (details["messages"]) is read by support.selectors, not prefetched.
    answer_sources=((Message, "ticket_id", "pk"), (Attachment, "message_id", "messages")),
    status_email="support/email/status",
    customer=customer,
    customer_email_field="customer_email",
    notes=NOTES,
    request_url="support:contact",
    expected_delay=expected_delay,
    description=_("Une question, un problème : écrivez-nous, suivez la réponse avec votre numéro."),
)
