"""The leads marketplace: merchants' campaigns, the leads influencers bring, each
merchant's prepaid deposit, and the append-only ledger of every movement of money.

Amounts are in the deposit's currency (MAD, dirhams), two decimals. The deposit's
figures are a cache of the ledger's sums, kept under a row lock by leads.ledger and
held to their invariants by CHECK constraints; `ledger_matches()` proves the equality.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CURRENCY = "MAD"


def money_field(verbose_name, **kwargs) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, **kwargs)


class MerchantProfile(models.Model):
    """A platform account that runs campaigns and pays commissions."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="merchant", verbose_name=_("compte")
    )
    company_name = models.CharField(_("entreprise"), max_length=120)
    phone = models.CharField(_("téléphone"), max_length=32, blank=True)
    # Printed on receipts when given (Moroccan companies' identifier).
    ice = models.CharField(_("ICE"), max_length=20, blank=True)
    # The language the account's e-mails and notifications are written in.
    language = models.CharField(_("langue"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)

    class Meta:
        verbose_name = _("marchand")
        verbose_name_plural = _("marchands")
        ordering = ["company_name"]

    def __str__(self) -> str:
        return self.company_name


class InfluencerProfile(models.Model):
    """A platform account that brings leads and earns a share of their commission."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="influencer", verbose_name=_("compte")
    )
    display_name = models.CharField(_("nom public"), max_length=120)
    phone = models.CharField(_("téléphone"), max_length=32, blank=True)
    bank_holder = models.CharField(_("titulaire du compte"), max_length=120, blank=True)
    bank_rib = models.CharField(_("RIB / IBAN"), max_length=40, blank=True)
    # The language the account's e-mails and notifications are written in.
    language = models.CharField(_("langue"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)
    # Earnings not yet paid out nor requested (MAD): a cache of the ledger's sum, changed
    # only by leads.ledger under this row's lock.
    earnings = money_field(_("gains disponibles"), default=0)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)

    class Meta:
        verbose_name = _("influenceur")
        verbose_name_plural = _("influenceurs")
        ordering = ["display_name"]
        constraints = [models.CheckConstraint(condition=Q(earnings__gte=0), name="influencer_earnings_not_negative")]

    def __str__(self) -> str:
        return self.display_name


class Level(models.TextChoices):
    """A deposit's health, from its balance against the last recharge (leads.money)."""

    HEALTHY = "healthy", _("Solde sain")
    ATTENTION = "attention", _("Attention")
    WARNING = "warning", _("Avertissement")
    CRITICAL = "critical", _("Critique")
    DEPLETED = "depleted", _("Épuisé")


class Deposit(models.Model):
    """A merchant's prepaid deposit. `available` = balance − reserved."""

    merchant = models.OneToOneField(
        MerchantProfile, on_delete=models.PROTECT, related_name="deposit", verbose_name=_("marchand")
    )
    currency = models.CharField(_("devise"), max_length=3, default=CURRENCY)
    # MAD. Money the merchant has paid in and not yet spent.
    balance = money_field(_("solde"), default=0)
    # MAD. Commissions of pending leads, held until each lead resolves.
    reserved = money_field(_("réservé"), default=0)
    # MAD. The balance right after the last recharge; null before the first one.
    reference = money_field(_("montant de référence"), null=True, blank=True)
    # The worst level already alerted in this cycle (the hourly check alerts only when the
    # level gets worse than this); back to healthy resets it and starts a new cycle.
    last_alert_level = models.CharField(_("dernier niveau alerté"), max_length=10, choices=Level, default=Level.HEALTHY)
    alert_cycle = models.PositiveIntegerField(_("cycle d'alertes"), default=0)
    updated_at = models.DateTimeField(_("mis à jour le"), auto_now=True)

    class Meta:
        verbose_name = _("dépôt")
        verbose_name_plural = _("dépôts")
        ordering = ["merchant__company_name"]
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="deposit_balance_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="deposit_reserved_not_negative"),
            models.CheckConstraint(condition=Q(reserved__lte=F("balance")), name="deposit_reserved_within_balance"),
        ]

    def __str__(self) -> str:
        return str(self.merchant)

    @property
    def available(self):
        return self.balance - self.reserved


class Campaign(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("En pause")

    merchant = models.ForeignKey(
        MerchantProfile, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("marchand")
    )
    name = models.CharField(_("nom"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("statut"), max_length=10, choices=Status, default=Status.ACTIVE)
    # Paused by the platform because the deposit was depleted (not by the merchant): a
    # recharge that lifts the deposit out of depletion resumes exactly these.
    paused_for_deposit = models.BooleanField(_("en pause faute de dépôt"), default=False)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        verbose_name = _("campagne")
        verbose_name_plural = _("campagnes")
        ordering = ["merchant__company_name", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(paused_for_deposit=False) | Q(status="paused"), name="campaign_auto_pause_is_paused"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Lead(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        VALIDATED = "validated", _("Validé")
        REJECTED = "rejected", _("Rejeté")
        EXPIRED = "expired", _("Expiré")

    class Source(models.TextChoices):
        INSTAGRAM = "instagram", "Instagram"
        FACEBOOK = "facebook", "Facebook"
        TIKTOK = "tiktok", "TikTok"
        WHATSAPP = "whatsapp", "WhatsApp"
        YOUTUBE = "youtube", "YouTube"
        OTHER = "other", _("Autre")

    # Foreign keys without their own index: the composite indexes below start with each
    # (fewer indexes to update when the nightly job expires thousands of leads).
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="leads", verbose_name=_("campagne"), db_index=False
    )
    # The campaign's merchant, copied: every merchant query filters on it.
    merchant = models.ForeignKey(
        MerchantProfile, on_delete=models.PROTECT, related_name="leads", verbose_name=_("marchand"), db_index=False
    )
    influencer = models.ForeignKey(
        InfluencerProfile, on_delete=models.PROTECT, related_name="leads", verbose_name=_("influenceur"), db_index=False
    )
    status = models.CharField(_("statut"), max_length=10, choices=Status, default=Status.PENDING)
    client_name = models.CharField(_("client"), max_length=120)
    client_email = models.EmailField(_("e-mail du client"), blank=True)
    client_phone = models.CharField(_("téléphone du client"), max_length=32, blank=True)
    # Normalised forms (leads.money.normalise_*) the duplicate check compares.
    client_email_key = models.CharField(max_length=254, blank=True, editable=False)
    client_phone_key = models.CharField(max_length=32, blank=True, editable=False)
    company = models.CharField(_("entreprise"), max_length=120, blank=True)
    # MAD, as the influencer estimated it.
    estimated_value = money_field(_("valeur estimée"))
    # MAD. The whole commission the merchant pays, and the influencer's share of it.
    commission = money_field(_("commission"))
    influencer_share = money_field(_("part de l'influenceur"))
    currency = models.CharField(_("devise"), max_length=3, default=CURRENCY)
    source = models.CharField(_("source"), max_length=10, choices=Source)
    notes = models.TextField(_("notes"), blank=True)
    rating = models.PositiveSmallIntegerField(_("note"), null=True, blank=True)
    feedback = models.TextField(_("retour du marchand"), blank=True)
    reason = models.TextField(_("motif"), blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    resolved_at = models.DateTimeField(_("résolu le"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("relance envoyée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["merchant", "status", "-created_at"]),
            models.Index(fields=["influencer", "-created_at"]),
            # The duplicate check looks up given keys only: leads without an e-mail or a
            # phone have no entry to maintain in that index.
            models.Index(
                fields=["campaign", "client_email_key"], condition=~Q(client_email_key=""), name="lead_campaign_email"
            ),
            models.Index(
                fields=["campaign", "client_phone_key"], condition=~Q(client_phone_key=""), name="lead_campaign_phone"
            ),
            # The nightly expiry and the reminders read only pending leads.
            models.Index(fields=["created_at"], condition=Q(status="pending"), name="lead_pending_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(estimated_value__gt=0), name="lead_value_positive"),
            models.CheckConstraint(
                condition=Q(commission__gte=0, influencer_share__gte=0, influencer_share__lte=F("commission")),
                name="lead_share_within_commission",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=10), name="lead_rating_1_to_10"
            ),
            models.CheckConstraint(
                condition=~Q(status="validated") | Q(rating__isnull=False), name="lead_validated_has_rating"
            ),
            models.CheckConstraint(
                condition=Q(status="pending", resolved_at__isnull=True) | ~Q(status="pending"),
                name="lead_pending_unresolved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client_name} · {self.campaign}"

    @property
    def platform_share(self):
        return self.commission - self.influencer_share

    @property
    def reserved(self) -> bool:
        """Whether its commission is held on the deposit: while, and only while, it is pending."""
        return self.status == self.Status.PENDING


class LeadEvent(models.Model):
    """One state change of a lead (creation included): who, when, from, to, why."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events", verbose_name=_("lead"))
    from_status = models.CharField(_("de"), max_length=10, blank=True)
    to_status = models.CharField(_("vers"), max_length=10)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("par")
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("le"), default=timezone.now)

    class Meta:
        verbose_name = _("changement de statut")
        verbose_name_plural = _("historique des leads")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.from_status or '∅'} → {self.to_status}"


class Recharge(models.Model):
    """Money paid into a deposit: online (a payments.Checkout) or by bank transfer."""

    class Status(models.TextChoices):
        CREATED = "created", _("Créée")
        PENDING = "pending", _("Paiement en cours")
        PAID = "paid", _("Payée")
        FAILED = "failed", _("Échouée")
        EXPIRED = "expired", _("Expirée")

    class Method(models.TextChoices):
        ONLINE = "online", _("Paiement en ligne")
        TRANSFER = "transfer", _("Virement bancaire")

    merchant = models.ForeignKey(
        MerchantProfile, on_delete=models.PROTECT, related_name="recharges", verbose_name=_("marchand")
    )
    method = models.CharField(_("moyen"), max_length=10, choices=Method)
    status = models.CharField(_("statut"), max_length=10, choices=Status, default=Status.CREATED)
    # MAD. Asked for; `paid_amount` is what the provider (or the transfer) really brought.
    amount = money_field(_("montant"))
    paid_amount = money_field(_("montant payé"), null=True, blank=True)
    currency = models.CharField(_("devise"), max_length=3, default=CURRENCY)
    # The payment provider's session id (unique), or the bank transfer's reference.
    session_id = models.CharField(_("session de paiement"), max_length=255, unique=True, null=True, blank=True)
    external_reference = models.CharField(_("référence du paiement"), max_length=255, blank=True)
    checkout_url = models.URLField(_("page de paiement"), max_length=1000, blank=True)
    # Refunds and disputes reported by the provider, debited from the deposit (MAD).
    refunded_amount = money_field(_("remboursé"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("enregistrée par")
    )
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)
    paid_at = models.DateTimeField(_("payée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("recharge")
        verbose_name_plural = _("recharges")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="recharge_amount_positive"),
            models.CheckConstraint(
                condition=Q(status="paid", paid_amount__isnull=False, paid_at__isnull=False) | ~Q(status="paid"),
                name="recharge_paid_has_amount",
            ),
            # A bank transfer is recorded once: its reference, per merchant.
            models.UniqueConstraint(
                fields=["merchant", "external_reference"],
                condition=Q(method="transfer"),
                name="recharge_transfer_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merchant} · {self.amount} {self.currency}"


class Receipt(models.Model):
    """The PDF receipt of a paid recharge, numbered without gaps per year (REC-YYYY-NNNNNN)."""

    number = models.CharField(_("numéro"), max_length=20, unique=True)
    recharge = models.OneToOneField(
        Recharge, on_delete=models.PROTECT, related_name="receipt", verbose_name=_("recharge")
    )
    merchant = models.ForeignKey(
        MerchantProfile, on_delete=models.PROTECT, related_name="receipts", verbose_name=_("marchand")
    )
    amount = money_field(_("montant"))
    currency = models.CharField(_("devise"), max_length=3, default=CURRENCY)
    issued_at = models.DateTimeField(_("émis le"), default=timezone.now)
    pdf = models.FileField(_("PDF"), upload_to="receipts/%Y/", blank=True)

    class Meta:
        verbose_name = _("reçu")
        verbose_name_plural = _("reçus")
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return self.number


class Payout(models.Model):
    """An influencer's request to be paid their earnings by bank transfer."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Demandé")
        PAID = "paid", _("Payé")
        REFUSED = "refused", _("Refusé")

    influencer = models.ForeignKey(
        InfluencerProfile, on_delete=models.PROTECT, related_name="payouts", verbose_name=_("influenceur")
    )
    status = models.CharField(_("statut"), max_length=10, choices=Status, default=Status.REQUESTED)
    # MAD, taken from the earnings when requested (given back if refused).
    amount = money_field(_("montant"))
    currency = models.CharField(_("devise"), max_length=3, default=CURRENCY)
    # The bank details at the time of the request.
    bank_holder = models.CharField(_("titulaire du compte"), max_length=120)
    bank_rib = models.CharField(_("RIB / IBAN"), max_length=40)
    transfer_reference = models.CharField(_("référence du virement"), max_length=100, blank=True)
    reason = models.TextField(_("motif du refus"), blank=True)
    created_at = models.DateTimeField(_("demandé le"), default=timezone.now)
    resolved_at = models.DateTimeField(_("traité le"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("traité par")
    )

    class Meta:
        verbose_name = _("demande de paiement")
        verbose_name_plural = _("paiements des influenceurs")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="paid") | ~Q(transfer_reference=""), name="payout_paid_has_reference"
            ),
            models.CheckConstraint(condition=~Q(status="refused") | ~Q(reason=""), name="payout_refused_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.influencer} · {self.amount} {self.currency}"


class LedgerEntry(models.Model):
    """One movement of money, never updated nor deleted: the deposit's and the
    influencer's figures are the sums of these rows' deltas.

    A merchant row moves `balance_delta` (money in or out of the deposit) and/or
    `reserved_delta` (held for a pending lead); an influencer row moves `earnings_delta`.
    `key` is unique: the one movement of a business event (a lead's deduction, a
    recharge's credit, a refund event) can be written once only.
    """

    class Kind(models.TextChoices):
        RECHARGE = "recharge", _("Recharge")
        RESERVATION = "reservation", _("Réservation")
        RELEASE = "release", _("Libération")
        DEDUCTION = "deduction", _("Déduction lead validé")
        INFLUENCER_CREDIT = "influencer_credit", _("Commission influenceur")
        ADJUSTMENT = "adjustment", _("Ajustement manuel")
        REFUND = "refund", _("Remboursement / litige")
        PAYOUT_REQUEST = "payout_request", _("Demande de paiement")
        PAYOUT_PAID = "payout_paid", _("Paiement effectué")
        PAYOUT_REFUSED = "payout_refused", _("Paiement refusé")

    key = models.CharField(_("clé d'unicité"), max_length=120, unique=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind)
    # The accounts' own indexes are the composite ones in Meta; the optional links get
    # partial indexes (most rows have no recharge, payout or actor): fewer index entries
    # per row, which the nightly expiry writes by the hundred thousand.
    merchant = models.ForeignKey(
        MerchantProfile,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger",
        verbose_name=_("marchand"),
        db_index=False,
    )
    influencer = models.ForeignKey(
        InfluencerProfile,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger",
        verbose_name=_("influenceur"),
        db_index=False,
    )
    # MAD, signed.
    balance_delta = money_field(_("solde"), default=0)
    reserved_delta = money_field(_("réservé"), default=0)
    earnings_delta = money_field(_("gains"), default=0)
    currency = models.CharField(_("devise"), max_length=3, default=CURRENCY)
    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger")
    recharge = models.ForeignKey(
        Recharge, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger", db_index=False
    )
    payout = models.ForeignKey(
        Payout, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger", db_index=False
    )
    reason = models.TextField(_("motif"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("par"),
        db_index=False,
    )
    created_at = models.DateTimeField(_("le"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("écriture")
        verbose_name_plural = _("grand livre")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["merchant", "-created_at"], name="ledger_merchant_created"),
            models.Index(fields=["influencer", "-created_at"], name="ledger_influencer_created"),
            models.Index(fields=["recharge"], condition=Q(recharge__isnull=False), name="ledger_recharge"),
            models.Index(fields=["payout"], condition=Q(payout__isnull=False), name="ledger_payout"),
            models.Index(fields=["actor"], condition=Q(actor__isnull=False), name="ledger_actor"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(merchant__isnull=False) | Q(influencer__isnull=False), name="ledger_has_account"
            ),
            models.CheckConstraint(condition=~Q(kind="adjustment") | ~Q(reason=""), name="ledger_adjustment_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key}"
