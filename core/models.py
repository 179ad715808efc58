from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboundMessage(models.Model):
    """Every e-mail and SMS the platform sends: the outbox and its audit trail.

    Rows are created inside the business transaction and delivered by a Celery task
    after commit. `key` is unique, so a service that runs twice queues one message,
    and the task claims a row before sending, so a task that runs twice sends once.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        SENDING = "sending", _("Envoi en cours")
        SENT = "sent", _("Envoyé")
        FAILED = "failed", _("Échec")

    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices)
    key = models.CharField(_("clé d'unicité"), max_length=200, unique=True)
    to = models.CharField(_("destinataire"), max_length=254)
    subject = models.CharField(_("objet"), max_length=200, blank=True)
    body = models.TextField(_("message"))
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    backend = models.CharField(_("backend"), max_length=100, blank=True)
    provider_id = models.CharField(_("identifiant fournisseur"), max_length=100, blank=True)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("message sortant")
        verbose_name_plural = _("messages sortants (outbox)")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.to}"
