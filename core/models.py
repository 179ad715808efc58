from django.db import models
from django.utils.translation import gettext_lazy as _

from .delivery import Deliverable


class OutboundMessage(Deliverable):
    """Every e-mail and SMS the platform sends: the outbox and its audit trail.

    Rows are created inside the business transaction and delivered by a Celery task
    after commit. `key` is unique, so a service that runs twice queues one message;
    status, attempts, lease and backoff follow core.delivery, so a task that runs twice
    sends once and a message whose worker died is sent again after its lease.
    """

    MAX_ATTEMPTS_SETTING = "OUTBOX_MAX_ATTEMPTS"

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        WHATSAPP = "whatsapp", _("WhatsApp")

    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices)
    key = models.CharField(_("clé d'unicité"), max_length=200, unique=True)
    to = models.CharField(_("destinataire"), max_length=254)
    subject = models.CharField(_("objet"), max_length=200, blank=True)
    body = models.TextField(_("message"))
    # E-mails only: the HTML version sent beside `body` (its plain-text alternative),
    # kept so the outbox shows what the customer saw. Empty for SMS and older rows.
    html_body = models.TextField(_("message HTML"), blank=True)
    # E-mails only: files attached from the default storage, [{"path", "filename",
    # "mimetype"}] (a receipt's PDF). The files outlive the message.
    attachments = models.JSONField(_("pièces jointes"), default=list, blank=True)
    backend = models.CharField(_("backend"), max_length=100, blank=True)
    provider_id = models.CharField(_("identifiant fournisseur"), max_length=100, blank=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)

    class Meta(Deliverable.Meta):
        verbose_name = _("message sortant")
        verbose_name_plural = _("messages sortants (outbox)")
        ordering = ["-created_at"]
        indexes = [*Deliverable.Meta.indexes, models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.to}"


class NumberSeries(models.Model):
    """The last number given in a series of documents that must be numbered without
    gaps (receipts REC-2026-…, later invoices): core.numbering locks this row in the
    transaction that creates the document, so a rollback gives the number back."""

    name = models.CharField(_("série"), max_length=40, unique=True)
    last = models.PositiveBigIntegerField(_("dernier numéro"), default=0)

    class Meta:
        verbose_name = _("série de numéros")
        verbose_name_plural = _("séries de numéros")

    def __str__(self) -> str:
        return f"{self.name}: {self.last}"
