"""Leads and campaigns: creating a lead reserves its commission; validating posts it
(deducted from the balance, the influencer credited), rejecting or expiring voids it.
A lead resolves exactly once: every resolution locks the merchant's deposit, then the
lead, and re-reads its status under the lock (see leads.ledger for the lock order).

Views, the API, the admin and the beat jobs all call these functions.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import errors, ledger, money, notices
from .errors import LeadError
from .models import Campaign, Deposit, InfluencerProfile, Lead, LeadEvent, LedgerEntry, MerchantProfile

Status = Lead.Status
Kind = LedgerEntry.Kind

# The one map of allowed lead transitions (staff's dispute settlement included).
TRANSITIONS = {
    Status.PENDING: {Status.VALIDATED, Status.REJECTED, Status.EXPIRED},
    Status.EXPIRED: {Status.VALIDATED},
    Status.VALIDATED: set(),
    Status.REJECTED: set(),
}


def _event(*, lead: Lead, from_status: str, to_status: str, actor=None, note: str = "") -> LeadEvent:
    return LeadEvent.objects.create(
        lead=lead,
        from_status=from_status,
        to_status=to_status,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        note=note,
    )


def _already_resolved(lead: Lead) -> LeadError:
    return LeadError(
        errors.LEAD_ALREADY_RESOLVED,
        _("Ce lead est déjà traité (%(status)s).") % {"status": lead.get_status_display()},
        details={"status": lead.status},
    )


def _transition(lead: Lead, to_status: str) -> str:
    """Check a transition of a locked lead; returns the status it leaves."""
    if to_status not in TRANSITIONS[lead.status]:
        raise _already_resolved(lead)
    return lead.status


# --- campaigns ----------------------------------------------------------------------------


@transaction.atomic
def campaign_create(*, merchant: MerchantProfile, name: str, description: str = "") -> Campaign:
    deposit = ledger.lock_deposit(merchant.pk)
    depleted = money.level_of(balance=deposit.balance, reserved=deposit.reserved, reference=deposit.reference)
    campaign = Campaign(merchant=merchant, name=name.strip(), description=description.strip())
    if depleted == "depleted":
        # Created paused, and resumed with the others by the next recharge.
        campaign.status, campaign.paused_for_deposit = Campaign.Status.PAUSED, True
    campaign.full_clean()
    campaign.save()
    return campaign


def _merchant_campaign(merchant: MerchantProfile, campaign_id: int) -> Campaign:
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id, merchant=merchant).first()
    if campaign is None:
        raise LeadError(errors.CAMPAIGN_NOT_FOUND, _("Campagne introuvable."))
    return campaign


@transaction.atomic
def campaign_update(*, merchant: MerchantProfile, campaign_id: int, name: str, description: str) -> Campaign:
    ledger.lock_deposit(merchant.pk)
    campaign = _merchant_campaign(merchant, campaign_id)
    campaign.name, campaign.description = name.strip(), description.strip()
    campaign.full_clean()
    campaign.save(update_fields=["name", "description", "updated_at"])
    return campaign


@transaction.atomic
def campaign_pause(*, merchant: MerchantProfile, campaign_id: int) -> Campaign:
    ledger.lock_deposit(merchant.pk)
    campaign = _merchant_campaign(merchant, campaign_id)
    # Paused by the merchant: a recharge no longer resumes it.
    campaign.status, campaign.paused_for_deposit = Campaign.Status.PAUSED, False
    campaign.save(update_fields=["status", "paused_for_deposit", "updated_at"])
    return campaign


@transaction.atomic
def campaign_resume(*, merchant: MerchantProfile, campaign_id: int) -> Campaign:
    deposit = ledger.lock_deposit(merchant.pk)
    campaign = _merchant_campaign(merchant, campaign_id)
    level = money.level_of(balance=deposit.balance, reserved=deposit.reserved, reference=deposit.reference)
    if level == "depleted":
        raise LeadError(
            errors.CAMPAIGN_DEPOSIT_DEPLETED,
            _("Votre dépôt est épuisé : rechargez-le pour reprendre vos campagnes."),
        )
    campaign.status, campaign.paused_for_deposit = Campaign.Status.ACTIVE, False
    campaign.save(update_fields=["status", "paused_for_deposit", "updated_at"])
    return campaign


# --- leads --------------------------------------------------------------------------------


def estimated_value_parse(value) -> Decimal:
    amount = money.amount_parse(value)
    if amount is None or amount < money.minimum_value() or amount >= Decimal("1e9"):
        raise LeadError(
            errors.INVALID_VALUE,
            _("La valeur estimée doit être d'au moins %(minimum)s.") % {"minimum": money.money(money.minimum_value())},
            details={"estimated_value": _("au moins %(minimum)s") % {"minimum": money.minimum_value()}},
        )
    return amount


@transaction.atomic
def lead_create(
    *,
    influencer: InfluencerProfile,
    campaign_id: int,
    client_name: str,
    client_email: str = "",
    client_phone: str = "",
    company: str = "",
    estimated_value: Decimal | str,
    source: str,
    notes: str = "",
    actor=None,
) -> Lead:
    """Create a pending lead and reserve its commission on the merchant's deposit.
    Refusals, in this order: CAMPAIGN_NOT_FOUND, CAMPAIGN_PAUSED, INVALID_VALUE,
    DUPLICATE_LEAD, DEPOSIT_INSUFFICIENT."""
    merchant_id = Campaign.objects.filter(pk=campaign_id).values_list("merchant_id", flat=True).first()
    if merchant_id is None:
        raise LeadError(errors.CAMPAIGN_NOT_FOUND, _("Campagne introuvable."))
    # The merchant's mutex: reservations, the duplicate check and the campaign's status
    # are read and written under it.
    deposit = ledger.lock_deposit(merchant_id)
    campaign = Campaign.objects.select_related("merchant__user").get(pk=campaign_id)
    if campaign.status != Campaign.Status.ACTIVE:
        raise LeadError(errors.CAMPAIGN_PAUSED, _("Cette campagne est en pause : elle n'accepte pas de leads."))
    value = estimated_value_parse(estimated_value)
    commission = money.commission_for(value)
    email_key, phone_key = money.email_key(client_email), money.phone_key(client_phone)
    if not email_key and not phone_key:
        raise LeadError(
            errors.INVALID_VALUE,
            _("Indiquez l'e-mail ou le téléphone du client."),
            details={"client_email": _("e-mail ou téléphone requis")},
        )
    since = timezone.now() - timedelta(days=settings.LEADS_DUPLICATE_DAYS)
    # `~Q(key="")` repeats the partial indexes' condition so the planner may use them.
    same_client = (Q(client_email_key=email_key) & ~Q(client_email_key="") if email_key else Q(pk__in=[])) | (
        Q(client_phone_key=phone_key) & ~Q(client_phone_key="") if phone_key else Q(pk__in=[])
    )
    if Lead.objects.filter(same_client, campaign=campaign, created_at__gte=since).exists():
        raise LeadError(
            errors.DUPLICATE_LEAD,
            _("Ce client a déjà été proposé à cette campagne ces %(days)s derniers jours.")
            % {"days": settings.LEADS_DUPLICATE_DAYS},
        )
    lead = Lead(
        campaign=campaign,
        merchant=campaign.merchant,
        influencer=influencer,
        client_name=client_name.strip(),
        client_email=client_email.strip(),
        client_phone=client_phone.strip(),
        client_email_key=email_key,
        client_phone_key=phone_key,
        company=company.strip(),
        estimated_value=money.quantize(value),
        commission=commission.total,
        influencer_share=commission.influencer,
        source=source,
        notes=notes.strip(),
    )
    # The fields' own rules (lengths, e-mail, choices) only: the related rows are the ones
    # just read, and the CHECK constraints are the database's to enforce (Django would
    # run one query per constraint, under the deposit's lock).
    try:
        lead.full_clean(
            exclude=["campaign", "merchant", "influencer", "client_email_key", "client_phone_key"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        # Every door (form, API) has checked the fields already; what is left (a value
        # longer than its column) is still the client's error, named by field.
        raise LeadError(
            errors.INVALID_REQUEST,
            _("Requête invalide."),
            details={field: " ".join(messages) for field, messages in exc.message_dict.items()},
        ) from None
    lead.save()
    try:
        ledger.post(
            key=f"lead:{lead.pk}:reserve",
            kind=Kind.RESERVATION,
            merchant=campaign.merchant,
            reserved=commission.total,
            lead=lead,
        )
    except ledger.Refused:
        raise LeadError(
            errors.DEPOSIT_INSUFFICIENT,
            _("Le dépôt du marchand ne couvre plus la commission de ce lead (%(amount)s).")
            % {"amount": money.money(commission.total)},
            details={"commission": str(commission.total), "available": str(deposit.available)},
        ) from None
    _event(lead=lead, from_status="", to_status=Status.PENDING, actor=actor)
    ledger.level_apply(deposit=deposit)
    notices.lead_created(lead)
    return lead


def _locked_lead(*, lead_id: int, merchant: MerchantProfile | None) -> tuple[Lead, Deposit]:
    """The lead (of `merchant`, or any for staff with merchant=None) and its deposit, both
    locked, deposit first. Someone else's lead is not found."""
    leads = Lead.objects.all() if merchant is None else Lead.objects.filter(merchant=merchant)
    merchant_id = leads.filter(pk=lead_id).values_list("merchant_id", flat=True).first()
    if merchant_id is None:
        raise LeadError(errors.LEAD_NOT_FOUND, _("Lead introuvable."))
    deposit = ledger.lock_deposit(merchant_id)
    lead = Lead.objects.select_for_update(of=("self",)).select_related("merchant", "influencer", "campaign")
    return lead.get(pk=lead_id), deposit


def _rating(rating) -> int:
    try:
        value = int(rating)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 10 or str(rating).strip() not in {str(value), f"{value}.0"}:
        raise LeadError(
            errors.INVALID_RATING,
            _("Donnez une note de 1 à 10."),
            details={"rating": _("un entier de 1 à 10")},
        )
    return value


def _post_validation(*, lead: Lead, deposit: Deposit, actor) -> None:
    """Deduct the commission (held by the lead's reservation) and credit the influencer."""
    ledger.post(
        key=f"lead:{lead.pk}:deduct",
        kind=Kind.DEDUCTION,
        merchant=lead.merchant,
        balance=-lead.commission,
        reserved=-lead.commission,
        lead=lead,
        actor=actor,
    )
    ledger.post(
        key=f"lead:{lead.pk}:credit",
        kind=Kind.INFLUENCER_CREDIT,
        influencer=lead.influencer,
        earnings=lead.influencer_share,
        lead=lead,
        actor=actor,
    )
    ledger.level_apply(deposit=deposit)


@transaction.atomic
def lead_validate(*, lead_id: int, merchant: MerchantProfile | None, rating, feedback: str = "", actor=None) -> Lead:
    """The merchant (or staff, merchant=None) accepts a pending lead."""
    rating = _rating(rating)
    lead, deposit = _locked_lead(lead_id=lead_id, merchant=merchant)
    if lead.status != Status.PENDING:
        # Only staff validate an expired lead (lead_dispute_validate).
        raise _already_resolved(lead)
    _post_validation(lead=lead, deposit=deposit, actor=actor)
    lead.status, lead.rating, lead.feedback = Status.VALIDATED, rating, feedback.strip()
    lead.resolved_at = timezone.now()
    lead.save(update_fields=["status", "rating", "feedback", "resolved_at"])
    _event(lead=lead, from_status=Status.PENDING, to_status=Status.VALIDATED, actor=actor, note=lead.feedback)
    notices.lead_resolved(lead)
    return lead


def _release(*, lead: Lead, actor, reason: str = "") -> None:
    ledger.post(
        key=f"lead:{lead.pk}:release",
        kind=Kind.RELEASE,
        merchant=lead.merchant,
        reserved=-lead.commission,
        lead=lead,
        actor=actor,
        reason=reason,
    )


@transaction.atomic
def lead_reject(*, lead_id: int, merchant: MerchantProfile | None, reason: str, actor=None) -> Lead:
    reason = errors.required_text(reason, field="reason", message=_("Indiquez le motif du rejet."))
    lead, deposit = _locked_lead(lead_id=lead_id, merchant=merchant)
    _transition(lead, Status.REJECTED)
    _release(lead=lead, actor=actor, reason=reason)
    lead.status, lead.reason, lead.resolved_at = Status.REJECTED, reason, timezone.now()
    lead.save(update_fields=["status", "reason", "resolved_at"])
    _event(lead=lead, from_status=Status.PENDING, to_status=Status.REJECTED, actor=actor, note=reason)
    ledger.level_apply(deposit=deposit)
    notices.lead_resolved(lead)
    return lead


@transaction.atomic
def lead_dispute_validate(*, lead_id: int, rating, reason: str, actor) -> Lead:
    """Staff settle a dispute in the influencer's favour: an expired lead, within
    LEADS_DISPUTE_DAYS of its expiry, is validated; its commission is reserved and
    deducted now, if the deposit allows (DEPOSIT_INSUFFICIENT otherwise)."""
    reason = errors.required_text(reason, field="reason", message=_("Indiquez le motif de la décision."))
    rating = _rating(rating)
    lead, deposit = _locked_lead(lead_id=lead_id, merchant=None)
    if lead.status != Status.EXPIRED:
        raise LeadError(
            errors.LEAD_ALREADY_RESOLVED,
            _("Seul un lead expiré peut être validé en arbitrage."),
            details={"status": lead.status},
        )
    if lead.resolved_at < timezone.now() - timedelta(days=settings.LEADS_DISPUTE_DAYS):
        raise LeadError(
            errors.DISPUTE_WINDOW_CLOSED,
            _("Ce lead a expiré il y a plus de %(days)s jours : il ne peut plus être validé.")
            % {"days": settings.LEADS_DISPUTE_DAYS},
        )
    try:
        ledger.post(
            key=f"lead:{lead.pk}:reserve-dispute",
            kind=Kind.RESERVATION,
            merchant=lead.merchant,
            reserved=lead.commission,
            lead=lead,
            actor=actor,
            reason=reason,
        )
    except ledger.Refused:
        raise LeadError(
            errors.DEPOSIT_INSUFFICIENT,
            _("Le dépôt du marchand ne couvre pas la commission (%(amount)s).")
            % {"amount": money.money(lead.commission)},
        ) from None
    _post_validation(lead=lead, deposit=deposit, actor=actor)
    lead.status, lead.rating, lead.reason, lead.resolved_at = Status.VALIDATED, rating, reason, timezone.now()
    lead.save(update_fields=["status", "rating", "reason", "resolved_at"])
    _event(lead=lead, from_status=Status.EXPIRED, to_status=Status.VALIDATED, actor=actor, note=reason)
    notices.lead_resolved(lead)
    return lead
