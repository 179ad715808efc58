from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class TrackedItem(models.Model):
    """One tracking number, whatever the service: the unique index here is what makes
    numbers unique across all services."""

    number = models.CharField(_("numéro de suivi"), max_length=32, unique=True)
    service = models.CharField(_("service"), max_length=5, db_index=True)
    # Internal, sequential reference for staff (never shown to customers).
    reference = models.CharField(_("référence interne"), max_length=32, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    # The customer's language when they made the request: their e-mails are written in it.
    language = models.CharField(_("langue"), max_length=8, default="fr")
    # Moved forward by PostgreSQL itself at every change of what the public answer shows
    # (triggers installed by tracking.answers): a stored answer is served only while it
    # carries the current version.
    answer_version = models.BigIntegerField(default=0, db_default=0, editable=False)

    class Meta:
        verbose_name = _("numéro de suivi")
        verbose_name_plural = _("numéros de suivi")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.number


class PublicAnswer(models.Model):
    """The public JSON of one number in one language, as the API sends it, stored when
    it is built (PostgreSQL only; see tracking.answers). Not a cache with a lifetime:
    a row is served only while its version is its item's, its shape the running code's,
    and `valid_until` (the answer's own `changes_at`) is ahead."""

    # The unique constraint indexes item first: no index of its own.
    item = models.ForeignKey(TrackedItem, on_delete=models.CASCADE, related_name="+", db_index=False)
    language = models.CharField(max_length=8)
    version = models.BigIntegerField()
    # A fingerprint of the code and translations that wrote `body` (tracking.answers.shape).
    shape = models.CharField(max_length=16)
    valid_until = models.DateTimeField(null=True)
    body = models.BinaryField()
    built_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "language"], name="tracking_answer_one_per_language")]

    def __str__(self) -> str:
        return f"{self.item_id} {self.language} v{self.version}"


class TrackingEvent(models.Model):
    """One status change (or notable step) of a tracked item. Append-only: the
    customer's timeline and the staff audit trail are these rows."""

    item = models.ForeignKey(TrackedItem, on_delete=models.CASCADE, related_name="events", verbose_name=_("suivi"))
    at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)
    from_status = models.CharField(_("ancien statut"), max_length=32, blank=True)
    status = models.CharField(_("statut"), max_length=32)
    # Shown to the customer, unless the row is internal. A system note also has its
    # message key and parameters, so it is shown in the reader's language (see
    # tracking.notes); `note` then holds it in the site's default language, for search.
    note = models.TextField(_("note"), blank=True)
    note_key = models.CharField(_("clé de la note"), max_length=64, blank=True)
    note_params = models.JSONField(_("paramètres de la note"), default=dict, blank=True)
    # Staff-only rows (e.g. the audit of an admin edit, whose note holds the old and new
    # contact details): never on the public page or in the public JSON.
    internal = models.BooleanField(_("interne (équipe seulement)"), default=False)
    # Staff only: who did it and from where.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("par")
    )
    ip = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    user_agent = models.CharField(_("navigateur"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("événement de suivi")
        verbose_name_plural = _("historique de suivi")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.item.number} {self.from_status} → {self.status}"


class Trackable(models.Model):
    """Base for a service's request model: its tracking number and timestamps.

    Subclasses define `status` (a CharField with their TextChoices) and register a
    TrackedService with the tracking registry.
    """

    tracking = models.OneToOneField(
        TrackedItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("numéro de suivi")
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        abstract = True

    def get_absolute_url(self) -> str:
        return reverse("tracking:detail", args=[self.tracking.number])

    @property
    def tracking_number(self) -> str:
        return self.tracking.number
