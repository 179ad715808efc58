import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import netguard
from core.delivery import Deliverable


class LicenseType(models.TextChoices):
    TRIAL = "trial", _("Essai")
    MONTHLY = "monthly", _("Mensuelle")
    ANNUAL = "annual", _("Annuelle")
    LIFETIME = "lifetime", _("À vie")


PAID_TYPES = [LicenseType.MONTHLY, LicenseType.ANNUAL, LicenseType.LIFETIME]


class Product(models.Model):
    slug = models.SlugField(_("identifiant"), max_length=50, unique=True)
    name = models.CharField(_("nom"), max_length=100)
    is_active = models.BooleanField(_("actif"), default=True)
    trial_days = models.PositiveSmallIntegerField(_("durée de l'essai (jours)"), default=30)
    renewal_url = models.URLField(_("URL de renouvellement"), blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("produit")
        verbose_name_plural = _("produits")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name


# What an online validation answers from, in the order of licenses.selectors.LicenseState;
# a change of any of these fields must reach every process's remembered state (state_cache).
STATE_COLUMNS = (
    "pk",
    "machine_id",
    "license_type",
    "license_key",
    "email",
    "expires_at",
    "is_revoked",
    "product__renewal_url",
)
STATE_FIELDS = frozenset({column.split("__")[0] for column in STATE_COLUMNS} - {"pk"} | {"product_id"})


class LicenseQuerySet(models.QuerySet):
    def update(self, **kwargs):
        """A queryset update of a field validations answer from tells every process to
        read those licenses again (a save() does it through post_save)."""
        if not STATE_FIELDS.intersection(kwargs):
            return super().update(**kwargs)
        from .state_cache import licenses_changed

        # The rows are locked as they are listed: every row updated is a row re-read.
        with transaction.atomic():
            ids = list(self.order_by("pk").select_for_update().values_list("pk", flat=True))
            updated = super(LicenseQuerySet, self.model.objects.filter(pk__in=ids)).update(**kwargs)
            licenses_changed(ids)
        return updated


class License(models.Model):
    """One license per machine and product.

    The row is never deleted: its existence is what makes a trial "one per machine and
    product, ever" (reinstalling the app finds it again). Activating a paid code on the
    machine upgrades this same row; its signed key is re-issued at each change.
    """

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="licenses", verbose_name=_("produit"))
    # 32 hexadecimal characters, stored lowercase.
    machine_id = models.CharField(_("identifiant machine"), max_length=32)
    email = models.EmailField(_("e-mail"))
    license_type = models.CharField(_("type"), max_length=10, choices=LicenseType.choices)
    license_key = models.TextField(_("clé de licence"))
    key_id = models.CharField(_("clé de signature"), max_length=40)

    created_at = models.DateTimeField(_("créée le"), default=timezone.now)
    trial_started_at = models.DateTimeField(_("essai démarré le"), null=True, blank=True)
    activated_at = models.DateTimeField(_("activée le"), null=True, blank=True)
    # Null for a lifetime license.
    expires_at = models.DateTimeField(_("expire le"), null=True, blank=True, db_index=True)
    last_validated_at = models.DateTimeField(_("dernière validation"), null=True, blank=True)
    last_heartbeat_at = models.DateTimeField(_("dernier heartbeat"), null=True, blank=True, db_index=True)

    is_revoked = models.BooleanField(_("révoquée"), default=False)
    revoked_at = models.DateTimeField(_("révoquée le"), null=True, blank=True)
    revoked_reason = models.TextField(_("motif de révocation"), blank=True)

    app_version = models.CharField(_("version de l'application"), max_length=20, blank=True)
    os_info = models.CharField(_("système"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    user_agent = models.CharField(_("navigateur / client"), max_length=300, blank=True)

    # Expiry reminders are sent once per expiry date: extending the license re-arms them.
    reminded_7d_for = models.DateTimeField(null=True, blank=True, editable=False)
    reminded_1d_for = models.DateTimeField(null=True, blank=True, editable=False)
    expired_notified_for = models.DateTimeField(null=True, blank=True, editable=False)

    objects = LicenseQuerySet.as_manager()

    class Meta:
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        ordering = ["-created_at"]
        # One per action, the same in the admin and the admin API (licenses/permissions.py).
        permissions = [
            ("revoke_license", _("Peut révoquer une licence")),
            ("reinstate_license", _("Peut rétablir une licence révoquée")),
            ("extend_license", _("Peut prolonger une licence")),
            ("generate_activation_codes", _("Peut générer des codes d'activation")),
            ("view_license_stats", _("Peut voir les statistiques des licences")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["product", "machine_id"], name="license_one_per_machine_and_product"),
            models.CheckConstraint(condition=Q(machine_id__regex=r"^[0-9a-f]{32}$"), name="license_machine_id_format"),
            models.CheckConstraint(
                condition=Q(license_type="lifetime", expires_at__isnull=True)
                | (~Q(license_type="lifetime") & Q(expires_at__isnull=False)),
                name="license_expiry_matches_type",
            ),
        ]
        indexes = [models.Index(fields=["email"]), models.Index(fields=["product", "email"])]

    def __str__(self) -> str:
        return f"{self.product.slug}:{self.machine_id} ({self.get_license_type_display()})"

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def status(self) -> str:
        if self.is_revoked:
            return "revoked"
        return "expired" if self.is_expired() else "active"


class ActivationCode(models.Model):
    """A single-use code sold to a customer; activating it creates or extends a license."""

    code = models.CharField(_("code"), max_length=19, unique=True)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="codes", verbose_name=_("produit"))
    license_type = models.CharField(_("type"), max_length=10, choices=[(t.value, t.label) for t in PAID_TYPES])
    # Days added by the code; null for lifetime.
    duration_days = models.PositiveIntegerField(_("durée (jours)"), null=True, blank=True)
    expires_at = models.DateTimeField(_("le code expire le"), null=True, blank=True)
    used_at = models.DateTimeField(_("utilisé le"), null=True, blank=True, db_index=True)
    used_by = models.ForeignKey(
        License, null=True, blank=True, on_delete=models.PROTECT, related_name="codes_used", verbose_name=_("licence")
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("créé par")
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("code d'activation")
        verbose_name_plural = _("codes d'activation")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(license_type="lifetime", duration_days__isnull=True)
                | (~Q(license_type="lifetime") & Q(duration_days__gt=0)),
                name="code_duration_matches_type",
            ),
            models.CheckConstraint(
                condition=Q(used_at__isnull=True, used_by__isnull=True) | Q(used_at__isnull=False),
                name="code_used_consistently",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class LicenseEvent(models.Model):
    """Activity log, append-only: every trial, activation, validation, heartbeat and
    admin action on a license, with where it came from."""

    class Action(models.TextChoices):
        TRIAL_CREATED = "trial_created", _("Essai créé")
        ACTIVATED = "activated", _("Activée")
        VALIDATED = "validated", _("Validée")
        HEARTBEAT = "heartbeat", _("Heartbeat")
        REVOKED = "revoked", _("Révoquée")
        REINSTATED = "reinstated", _("Rétablie")
        EXTENDED = "extended", _("Prolongée")
        EXPIRED = "expired", _("Expirée")
        EDITED = "edited", _("Modifiée par l'équipe")

    license = models.ForeignKey(License, on_delete=models.CASCADE, related_name="events", verbose_name=_("licence"))
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    user_agent = models.CharField(_("logiciel client"), max_length=300, blank=True)
    app_version = models.CharField(_("version"), max_length=20, blank=True)
    os_info = models.CharField(_("système"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("par")
    )
    details = models.JSONField(_("détails"), default=dict, blank=True)

    class Meta:
        verbose_name = _("activité")
        verbose_name_plural = _("journal d'activité")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["action", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.license_id}"


class ValidationFlush(models.Model):
    """One batch of buffered validations written to the activity log (licenses.recording):
    its unique batch id is what keeps a batch from being written twice."""

    batch_id = models.CharField(_("lot"), max_length=32, unique=True)
    records = models.PositiveIntegerField(_("validations"))
    flushed_at = models.DateTimeField(_("écrit le"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("écriture de validations")
        verbose_name_plural = _("écritures de validations")

    def __str__(self) -> str:
        return f"{self.batch_id} ({self.records})"


def webhook_target(url: str) -> netguard.Target:
    """Where a webhook URL may send to under the WEBHOOK_* settings; raises BlockedAddress."""
    return netguard.check_url(
        url, allowed_ports=settings.WEBHOOK_ALLOWED_PORTS, allow_loopback=settings.WEBHOOK_ALLOW_LOOPBACK
    )


def validate_webhook_url(value: str) -> None:
    """Refuse, when the URL is saved, what a delivery would refuse to call (the admin form shows why)."""
    try:
        webhook_target(value)
    except netguard.BlockedAddress as exc:
        raise ValidationError(exc.message, code="blocked_address") from None


class WebhookEndpoint(models.Model):
    class Event(models.TextChoices):
        CREATED = "license.created", "license.created"
        ACTIVATED = "license.activated", "license.activated"
        REVOKED = "license.revoked", "license.revoked"
        EXPIRED = "license.expired", "license.expired"

    # Checked again at each delivery: DNS answers change after the URL is saved.
    url = models.URLField(_("URL"), max_length=500, validators=[validate_webhook_url])
    # Shared secret for the HMAC-SHA256 signature (X-EF-Signature header).
    secret = models.CharField(_("secret"), max_length=128)
    events = models.JSONField(_("événements"), default=list, help_text=_("Vide = tous les événements"))
    is_active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.url

    def wants(self, event: str) -> bool:
        return not self.events or event in self.events


class WebhookDelivery(Deliverable):
    """One event sent to one endpoint; status, attempts, lease and backoff follow
    core.delivery. Unique per (endpoint, event) so that an event is never delivered twice.
    Only the receiver's status code and a short error class are kept, never its response body."""

    MAX_ATTEMPTS_SETTING = "LICENSE_WEBHOOK_MAX_ATTEMPTS"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(default=uuid.uuid4)
    event = models.CharField(max_length=40)
    payload = models.JSONField()
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta(Deliverable.Meta):
        verbose_name = _("livraison de webhook")
        verbose_name_plural = _("livraisons de webhooks")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_delivery_once")]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"
