"""Demo tickets in every status, with conversations and internal notes, a question
asked from a revision's tracking page, and a support agent. Found again by their
customer's e-mail, so running the seed twice creates nothing new."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils.translation import gettext as _

from core.notify import tracking_url
from core.seeding import DemoItem, DemoSeed, demo_password
from revisions.models import Revision
from tracking.registry import Customer

from .models import Ticket
from .services import message_add, ticket_assign, ticket_create, ticket_status_change, tracking_question
from .tracking import SERVICE

S, SIDE = Ticket.Status, Ticket.Side
AGENT = "support"

# (e-mail, name, subject, category, priority, final status, conversation after the first message)
# A conversation line is (side, text, internal).
TICKETS = [
    (
        "demo.tck.open@example.com",
        "Fatou Sow",
        "Impossible de télécharger ma facture",
        "billing",
        "high",
        S.OPEN,
        [],
    ),
    (
        "demo.tck.waiting@example.com",
        "Karim Benali",
        "Mon code d'activation EasyFacture est refusé",
        "technical",
        "normal",
        S.WAITING,
        [
            ("staff", "Le code expire après 7 jours : l'avez-vous reçu il y a plus d'une semaine ?", False),
            ("staff", "Client fidèle, proposer une prolongation si besoin.", True),
        ],
    ),
    (
        "demo.tck.progress@example.com",
        "Mariam Traoré",
        "Changer l'adresse de livraison",
        "general",
        "normal",
        S.IN_PROGRESS,
        [
            ("staff", "Bien reçu, nous modifions l'adresse avec le transporteur.", False),
            ("customer", "Merci ! Le numéro de porte est le 12.", False),
            ("staff", "Transporteur appelé à 10 h, attente de confirmation.", True),
        ],
    ),
    (
        "demo.tck.resolved@example.com",
        "Olivier Martin",
        "Export PDF des devis",
        "feature",
        "low",
        S.RESOLVED,
        [("staff", "C'est possible depuis la version 2.3 : menu Fichier › Exporter en PDF.", False)],
    ),
    (
        "demo.tck.closed@example.com",
        "Aïcha Ndiaye",
        "Double prélèvement",
        "billing",
        "urgent",
        S.CLOSED,
        [
            ("staff", "Le second prélèvement a été remboursé ce matin.", False),
            ("customer", "Bien reçu, merci.", False),
        ],
    ),
]


def _agent(password: str):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=AGENT, defaults={"email": "support@example.com", "is_staff": True, "first_name": "Équipe"}
    )
    if created:
        user.set_password(password)
        user.save()
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="support"))
    return User.objects.get(pk=user.pk)


def _path_to(status: str) -> list[str]:
    return {
        S.OPEN: [],
        S.IN_PROGRESS: [],  # the first staff reply moves it there
        S.WAITING: [S.WAITING],
        S.RESOLVED: [S.RESOLVED],
        S.CLOSED: [S.RESOLVED, S.CLOSED],
    }[status]


def seed() -> DemoSeed:
    result = DemoSeed()
    password = demo_password()
    agent = _agent(password)
    shown = None
    for email, name, subject, category, priority, status, lines in TICKETS:
        ticket = Ticket.objects.filter(customer_email=email).select_related("tracking").first()
        if ticket is None:
            ticket = ticket_create(
                subject=subject,
                message=_("Bonjour, pouvez-vous m'aider ? (ticket de démonstration)"),
                category=category,
                priority=priority,
                name=name,
                email=email,
            )
            for side, text, internal in lines:
                message_add(
                    ticket=ticket, body=text, side=side, author=agent if side == SIDE.STAFF else None, internal=internal
                )
            ticket.refresh_from_db()
            if status != S.OPEN:
                ticket_assign(ticket=ticket, assignee=agent)
            for step in _path_to(status):
                ticket.refresh_from_db()
                ticket_status_change(ticket=ticket, to_status=step, notify=False)
            ticket.refresh_from_db()
        if status == S.WAITING:
            shown = ticket
        result.items.append(
            DemoItem(ticket.tracking.number, str(SERVICE.label), ticket.get_status_display(), _demo_hint(status))
        )
    revision = Revision.objects.filter(client_email="demo.rev.new@example.com").select_related("tracking").first()
    if revision is not None and not Ticket.objects.filter(related_item=revision.tracking).exists():
        question = tracking_question(
            item=revision.tracking,
            customer=Customer(name=revision.client_name, email=revision.client_email, phone=revision.client_phone),
            body=_("Bonjour, puis-je déposer la voiture samedi matin ?"),
        )
        message_add(
            ticket=question.ticket,
            body=_("Oui, l'atelier est ouvert le samedi de 8 h à 13 h."),
            side=SIDE.STAFF,
            author=agent,
        )
    if shown is not None:
        result.notes.append(
            _("Support : le ticket %(number)s attend votre réponse sur %(url)s ; agent %(user)s / %(password)s.")
            % {
                "number": shown.tracking.number,
                "url": tracking_url(shown.tracking.number),
                "user": AGENT,
                "password": password,
            }
        )
    return result


def _demo_hint(status: str) -> str:
    return {
        S.OPEN: _("nouveau : répondez depuis l'admin"),
        S.WAITING: _("attend le client : répondez sur la page de suivi"),
        S.IN_PROGRESS: _("conversation avec notes internes"),
        S.RESOLVED: _("résolu : se ferme seul après %(days)s jours") % {"days": settings.SUPPORT_AUTO_CLOSE_DAYS},
        S.CLOSED: _("fermé : un message ouvre un ticket lié"),
    }[status]
