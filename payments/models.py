import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CheckoutStatus(models.TextChoices):
    CREATED = "created", _("Créé")  # our row exists; the provider's page not yet
    OPEN = "open", _("Ouvert")  # the customer can pay on the provider's page
    PENDING = "pending", _("Paiement en cours")  # finished, money not there yet
    PAID = "paid", _("Payé")
    FAILED = "failed", _("Échoué")
    EXPIRED = "expired", _("Expiré")


# The allowed changes, as data (payments.services.checkout_set_status refuses the others).
# A webhook may come before our own "open" update was stored (the provider answered,
# our process died), hence the moves straight from "created". Paid, failed and expired
# are final: refunds and disputes are amounts on a paid checkout, not statuses.
TRANSITIONS = {
    CheckoutStatus.CREATED: {CheckoutStatus.OPEN, CheckoutStatus.PENDING, CheckoutStatus.PAID}
    | {CheckoutStatus.FAILED, CheckoutStatus.EXPIRED},
    CheckoutStatus.OPEN: {CheckoutStatus.PENDING, CheckoutStatus.PAID, CheckoutStatus.FAILED, CheckoutStatus.EXPIRED},
    CheckoutStatus.PENDING: {CheckoutStatus.PAID, CheckoutStatus.FAILED, CheckoutStatus.EXPIRED},
    CheckoutStatus.PAID: set(),
    CheckoutStatus.FAILED: set(),
    CheckoutStatus.EXPIRED: set(),
}
FINAL = frozenset({CheckoutStatus.PAID, CheckoutStatus.FAILED, CheckoutStatus.EXPIRED})


class Checkout(models.Model):
    """One hosted payment attempt for one thing of a domain (a recharge, an order).

    Created before the provider is called, so its pk gives the idempotency key and a
    retry after a timeout reuses the provider's session instead of opening a second.
    """

    provider = models.CharField(_("fournisseur"), max_length=20)
    # The registry key of the domain that owns the payment, e.g. "leads.recharge".
    domain = models.CharField(_("domaine"), max_length=50)
    # The domain's own id for what is paid (e.g. the recharge's pk), as text.
    reference = models.CharField(_("référence"), max_length=100)
    # Major units (dirhams, euros), two decimals, in `currency`.
    amount = models.DecimalField(_("montant"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("devise"), max_length=3)
    description = models.CharField(_("libellé"), max_length=200, blank=True)
    # The domain's extra metadata, sent to the provider with domain and reference.
    metadata = models.JSONField(_("métadonnées"), default=dict, blank=True)
    session_id = models.CharField(_("session du fournisseur"), max_length=255, unique=True, null=True, blank=True)
    # The provider's payment id (Stripe: the payment intent), which charge events carry.
    payment_reference = models.CharField(_("référence du paiement"), max_length=255, blank=True, db_index=True)
    checkout_url = models.URLField(_("page de paiement"), max_length=2000, blank=True)
    expires_at = models.DateTimeField(_("expire le"), null=True, blank=True)
    status = models.CharField(
        _("statut"), max_length=10, choices=CheckoutStatus.choices, default=CheckoutStatus.CREATED
    )
    # What the provider reported as paid, in `currency` (major units); null until paid.
    amount_paid = models.DecimalField(_("montant payé"), max_digits=12, decimal_places=2, null=True, blank=True)
    # Cumulative amounts the provider reported refunded / disputed (major units): what
    # the domain has been told so far, so a new event passes on only the difference.
    refunded_amount = models.DecimalField(_("montant remboursé"), max_digits=12, decimal_places=2, default=0)
    disputed_amount = models.DecimalField(_("montant contesté"), max_digits=12, decimal_places=2, default=0)
    # The provider's last refusal when opening the page (the checkout stays "created").
    last_error = models.CharField(_("dernière erreur"), max_length=200, blank=True)
    # Random, so that two databases (a test one reset, staging) sharing one Stripe account
    # never send the same idempotency key for different payments.
    token = models.UUIDField(_("jeton d'idempotence"), default=uuid.uuid4, editable=False, unique=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("paiement en ligne")
        verbose_name_plural = _("paiements en ligne")
        ordering = ["-created_at"]
        constraints = [
            # One attempt per thing paid: a second checkout_start() finds this one.
            models.UniqueConstraint(fields=["domain", "reference"], name="payments_checkout_domain_reference"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_checkout_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(disputed_amount__gte=0),
                name="payments_checkout_reversals_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.domain}:{self.reference} ({self.get_status_display()})"

    @property
    def idempotency_key(self) -> str:
        # Stable for the checkout's life: a retry of create_checkout() after a timeout
        # gets the session Stripe may already have opened.
        return f"checkout-{self.token}"


class PaymentEvent(models.Model):
    """Every verified provider event, stored once (unique per provider), whatever its
    type: the audit trail of what the provider told us and what we did with it.
    Written by payments.services only; the admin is read-only."""

    provider = models.CharField(_("fournisseur"), max_length=20)
    event_id = models.CharField(_("identifiant de l'événement"), max_length=255)
    type = models.CharField(_("type"), max_length=100)
    # The normalised kind (payments.providers.base.KINDS); "" for ignored types.
    kind = models.CharField(_("nature"), max_length=10, blank=True)
    payload = models.JSONField(_("contenu"))
    checkout = models.ForeignKey(
        Checkout, verbose_name=_("paiement"), null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    received_at = models.DateTimeField(_("reçu le"), auto_now_add=True)
    processed_at = models.DateTimeField(_("traité le"), null=True, blank=True)
    # What processing did ("credited", "already paid", "currency mismatch"...).
    outcome = models.CharField(_("résultat"), max_length=200, blank=True)
    # The last handler failure; the event stays unprocessed until a redelivery succeeds.
    error = models.TextField(_("erreur"), blank=True)
    attempts = models.PositiveIntegerField(_("tentatives"), default=0)

    class Meta:
        verbose_name = _("événement de paiement")
        verbose_name_plural = _("événements de paiement")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="payments_event_unique_per_provider"),
        ]
        indexes = [models.Index(fields=["processed_at"], name="payments_event_processed_idx")]

    def __str__(self) -> str:
        return f"{self.provider} {self.type} {self.event_id}"
