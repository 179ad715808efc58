from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tracking import notes


class Notification(models.Model):
    """A message for one user (a new lead, a low deposit, a staff broadcast...), shown
    under the header's bell until read.

    `text` is the message in the site's language (admin, search); a system message is
    also kept as `message_key` + `params` (tracking.notes) and rendered in the reader's
    language when read. `key` makes sending idempotent: a job that runs twice, or two
    workers at once, create one row."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("destinataire")
    )
    kind = models.CharField(_("type"), max_length=50)
    text = models.TextField(_("texte"))
    message_key = models.CharField(_("clé du message"), max_length=100, blank=True)
    params = models.JSONField(_("paramètres du message"), default=dict, blank=True)
    # A path on this site ("/leads/merchant/"), never another site's address.
    link = models.CharField(_("lien"), max_length=500, blank=True)
    key = models.CharField(_("clé d'unicité"), max_length=200, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("lue le"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index("user", "read_at", models.F("created_at").desc(), name="notification_user_unread"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(key=""), name="notification_key_not_empty"),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def rendered_text(self) -> str:
        """The text in the active language (the reader's)."""
        return notes.render(key=self.message_key, params=self.params, fallback=self.text)


class Broadcast(models.Model):
    """A message staff sent to every user of a role (notifications.roles); each
    recipient gets a Notification keyed on this broadcast, so the list is the history."""

    role = models.CharField(_("destinataires"), max_length=50)
    text = models.TextField(_("texte"))
    link = models.CharField(_("lien"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("envoyée par"),
    )
    created_at = models.DateTimeField(_("envoyée le"), auto_now_add=True)
    recipients = models.PositiveIntegerField(_("nombre de destinataires"), default=0)

    class Meta:
        verbose_name = _("message à un groupe")
        verbose_name_plural = _("messages à un groupe")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.text[:80]
