"""Support tickets (TCK-): a conversation between a customer and the staff.

Times that the reports need (first response, resolution, closing) are stored when they
happen, never derived from "last modified" (which every edit moves).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tracking.models import Trackable, TrackedItem


class Ticket(Trackable):
    class Status(models.TextChoices):
        OPEN = "open", _("Ouvert")
        IN_PROGRESS = "in_progress", _("En cours de traitement")
        WAITING = "waiting", _("En attente de votre réponse")
        RESOLVED = "resolved", _("Résolu")
        CLOSED = "closed", _("Fermé")

    class Category(models.TextChoices):
        GENERAL = "general", _("Question générale")
        TECHNICAL = "technical", _("Problème technique")
        BILLING = "billing", _("Facturation")
        FEATURE = "feature", _("Suggestion")

    class Priority(models.TextChoices):
        LOW = "low", _("Basse")
        NORMAL = "normal", _("Normale")
        HIGH = "high", _("Haute")
        URGENT = "urgent", _("Urgente")

    class Source(models.TextChoices):
        CONTACT = "contact", _("Formulaire de contact")
        TRACKING = "tracking", _("Page de suivi")
        API = "api", _("API")
        ACCOUNT = "account", _("Espace client")
        STAFF = "staff", _("Équipe")

    class Side(models.TextChoices):
        CUSTOMER = "customer", _("Client")
        STAFF = "staff", _("Équipe")

    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.OPEN)
    subject = models.CharField(_("sujet"), max_length=200)
    # The first message's text, kept on the ticket (the seed's field) for the admin's list
    # and search; the conversation itself is the Message rows, the first one included.
    description = models.TextField(_("description"))
    category = models.CharField(_("catégorie"), max_length=20, choices=Category.choices, default=Category.GENERAL)
    priority = models.CharField(_("priorité"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    source = models.CharField(_("origine"), max_length=10, choices=Source.choices, default=Source.CONTACT)

    # The customer: their account when they were logged in, and always a name and an
    # e-mail to write to (the account's, or what they typed).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("compte client"),
    )
    customer_name = models.CharField(_("nom du client"), max_length=120)
    customer_email = models.EmailField(_("e-mail du client"))
    customer_phone = models.CharField(_("téléphone du client"), max_length=32, blank=True)

    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        limit_choices_to={"is_staff": True},
        verbose_name=_("assigné à"),
    )
    # The tracked item the question is about (a revision, a rental, an order...).
    related_item = models.ForeignKey(
        TrackedItem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("demande concernée"),
    )
    # A closed ticket takes no reply: the customer opens a new one that follows it.
    follows = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="followers", verbose_name=_("suite de")
    )

    first_response_due_at = models.DateTimeField(_("première réponse attendue avant"))
    first_response_at = models.DateTimeField(_("première réponse le"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("résolu le"), null=True, blank=True)
    closed_at = models.DateTimeField(_("fermé le"), null=True, blank=True)
    # Who wrote the last public message: "waiting for us" is a customer's last word on a
    # ticket that is not resolved.
    last_message_side = models.CharField(_("dernier message de"), max_length=10, choices=Side.choices)
    last_message_at = models.DateTimeField(_("dernier message le"))

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "first_response_due_at"], name="ticket_due"),
            models.Index(fields=["related_item", "-created_at"], name="ticket_related"),
            models.Index(models.functions.Upper("customer_email"), name="ticket_email_upper"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["resolved", "closed"]) | Q(closed_at__isnull=True),
                name="ticket_closed_at_when_closed",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False), name="ticket_closed_has_closed_at"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tracking.number} · {self.subject}"

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED


class Message(models.Model):
    """One message of a ticket: a public reply (the customer's or the staff's) or an
    internal note (staff only: never on the tracking page, the customer's API or e-mails)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages", verbose_name=_("ticket"))
    side = models.CharField(_("auteur"), max_length=10, choices=Ticket.Side.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("écrit par")
    )
    body = models.TextField(_("message"))
    internal = models.BooleanField(_("note interne"), default=False)
    created_at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)
    # Staff only: from where.
    ip = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    user_agent = models.CharField(_("navigateur"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="message_ticket_time")]
        constraints = [
            models.CheckConstraint(condition=~Q(internal=True) | Q(side="staff"), name="message_internal_is_staff"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} · {self.get_side_display()} · {self.created_at:%Y-%m-%d %H:%M}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # Random names (core.uploads gives one): never the customer's file name in the path.
    return f"support/{instance.message.ticket_id}/{filename}"


class Attachment(models.Model):
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("message")
    )
    file = models.FileField(_("fichier"), upload_to=attachment_path, max_length=300)
    # What the customer called it (shown, never used as a path), and what its content is.
    name = models.CharField(_("nom"), max_length=200)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("taille (octets)"))
    created_at = models.DateTimeField(_("date"), auto_now_add=True)

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name
