"""Money into a deposit: online recharges (a payments Checkout, credited by the
provider's webhook, never by the return page), bank transfers recorded by staff,
manual adjustments, and refunds or disputes reported by the provider.

A recharge is credited once: `recharge_credit` locks the deposit, then the recharge,
and does nothing for a recharge already paid; the ledger row's unique key
(recharge:<id>:credit) would refuse a second credit even if it did not.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import errors, ledger, money, notices, receipts
from .errors import LeadError
from .models import Deposit, LedgerEntry, Level, MerchantProfile, Recharge

DOMAIN = "leads.recharge"
Kind = LedgerEntry.Kind


def recharge_amount_parse(value) -> Decimal:
    """A recharge amount within LEADS_RECHARGE_MIN..MAX dhs (AMOUNT_INVALID otherwise)."""
    amount = money.amount_parse(value)
    low, high = Decimal(settings.LEADS_RECHARGE_MIN), Decimal(settings.LEADS_RECHARGE_MAX)
    if amount is None or not low <= amount <= high:
        raise LeadError(
            errors.AMOUNT_INVALID,
            _("Le montant doit être compris entre %(min)s et %(max)s.")
            % {"min": money.money(low), "max": money.money(high)},
            details={"amount": _("entre %(min)s et %(max)s") % {"min": low, "max": high}},
        )
    return amount


def online_payment_configured() -> bool:
    from payments.providers import get_provider

    return get_provider().configured()


def recharge_start(*, merchant: MerchantProfile, amount, actor=None) -> Recharge:
    """Create the local recharge, then the provider's hosted checkout (outside any
    transaction: the provider is a network call). Raises LeadError AMOUNT_INVALID, or
    the payments app's PaymentError PAYMENT_NOT_CONFIGURED / PAYMENT_PROVIDER_ERROR."""
    from payments.errors import PAYMENT_NOT_CONFIGURED, PaymentError
    from payments.services import checkout_start

    amount = recharge_amount_parse(amount)
    if not online_payment_configured():
        # Checked before the recharge row exists: no row for a payment that cannot start.
        raise PaymentError(
            PAYMENT_NOT_CONFIGURED,
            _("Le paiement en ligne n'est pas configuré : contactez-nous pour un virement bancaire."),
        )
    recharge = Recharge.objects.create(
        merchant=merchant,
        method=Recharge.Method.ONLINE,
        amount=amount,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    back = settings.SITE_URL.rstrip("/") + reverse("leads:merchant")
    checkout = checkout_start(
        domain=DOMAIN,
        reference=str(recharge.pk),
        amount=money.money(amount),
        description=_("Recharge du dépôt leads · %(merchant)s") % {"merchant": merchant.company_name},
        success_url=f"{back}?recharge={recharge.pk}&payment=success",
        cancel_url=f"{back}?recharge={recharge.pk}&payment=cancel",
        customer_email=merchant.user.email,
        metadata={"merchant_id": str(merchant.pk), "recharge_id": str(recharge.pk)},
    )
    # The webhook may have come first (and credited it): the session is stored anyway,
    # the status moves on only from "created".
    Recharge.objects.filter(pk=recharge.pk).update(session_id=checkout.session_id, checkout_url=checkout.checkout_url)
    Recharge.objects.filter(pk=recharge.pk, status=Recharge.Status.CREATED).update(status=Recharge.Status.PENDING)
    recharge.refresh_from_db()
    return recharge


def _reset_alerts(deposit: Deposit) -> None:
    level = money.level_of(balance=deposit.balance, reserved=deposit.reserved, reference=deposit.reference)
    if level == Level.HEALTHY and deposit.last_alert_level != Level.HEALTHY:
        deposit.last_alert_level, deposit.alert_cycle = Level.HEALTHY, deposit.alert_cycle + 1
        deposit.save(update_fields=["last_alert_level", "alert_cycle", "updated_at"])


@transaction.atomic
def recharge_credit(*, recharge_id: int, amount: Decimal, external_reference: str = "", actor=None) -> Recharge | None:
    """Credit a recharge with the amount really paid (the provider's figure). Returns
    None when it was already credited (a replayed or concurrent notification)."""
    merchant_id = Recharge.objects.filter(pk=recharge_id).values_list("merchant_id", flat=True).get()
    deposit = ledger.lock_deposit(merchant_id)
    recharge = Recharge.objects.select_for_update().select_related("merchant__user").get(pk=recharge_id)
    if recharge.status == Recharge.Status.PAID:
        return None
    amount = money.quantize(amount)
    ledger.post(
        key=f"recharge:{recharge.pk}:credit",
        kind=Kind.RECHARGE,
        merchant=recharge.merchant,
        balance=amount,
        recharge=recharge,
        actor=actor,
        reason=external_reference,
    )
    recharge.status, recharge.paid_amount, recharge.paid_at = Recharge.Status.PAID, amount, timezone.now()
    recharge.external_reference = external_reference or recharge.external_reference
    recharge.save(update_fields=["status", "paid_amount", "paid_at", "external_reference"])
    deposit.refresh_from_db()
    # The level's reference: the balance right after the last recharge.
    deposit.reference = deposit.balance
    deposit.save(update_fields=["reference", "updated_at"])
    _reset_alerts(deposit)
    ledger.level_apply(deposit=deposit)
    receipt = receipts.receipt_issue(recharge=recharge)
    notices.recharge_paid(recharge=recharge, receipt=receipt)
    return recharge


@transaction.atomic
def recharge_transfer_record(*, merchant: MerchantProfile, amount, reference: str, paid_on: date, actor) -> Recharge:
    """Staff record a bank transfer received: a paid recharge, its ledger row and receipt."""
    amount = money.quantize(Decimal(str(amount)))
    if amount <= 0:
        raise LeadError(errors.AMOUNT_INVALID, _("Le montant doit être positif."), details={"amount": _("> 0")})
    reference = errors.required_text(reference, field="reference", message=_("Indiquez la référence du virement."))
    # The merchant's deposit lock serialises two staff recording the same transfer; the
    # unique constraint (merchant, reference) of transfers holds it in the database too.
    ledger.lock_deposit(merchant.pk)
    if Recharge.objects.filter(
        merchant=merchant, method=Recharge.Method.TRANSFER, external_reference=reference
    ).exists():
        raise LeadError(
            errors.ALREADY_RECORDED,
            _("Le virement %(reference)s est déjà enregistré pour ce marchand.") % {"reference": reference},
            details={"reference": _("déjà enregistré")},
        )
    recharge = Recharge.objects.create(
        merchant=merchant,
        method=Recharge.Method.TRANSFER,
        amount=amount,
        external_reference=reference,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    recharge_credit(recharge_id=recharge.pk, amount=amount, external_reference=reference, actor=actor)
    paid_at = timezone.make_aware(datetime.combine(paid_on, time(12, 0)))
    Recharge.objects.filter(pk=recharge.pk).update(paid_at=paid_at)
    recharge.refresh_from_db()
    return recharge


def recharge_mark(*, recharge_id: int, status: str) -> bool:
    """A session that failed or expired (never one already paid)."""
    return bool(
        Recharge.objects.filter(pk=recharge_id, status__in=[Recharge.Status.CREATED, Recharge.Status.PENDING]).update(
            status=status
        )
    )


@transaction.atomic
def recharge_debit(*, recharge_id: int, amount: Decimal, key: str, reason: str) -> Decimal:
    """A refund or dispute of a paid recharge: debit the deposit by `amount`, never below
    what pending leads hold; the shortfall is flagged to staff. Returns what was debited.
    `key` names the provider's event, so the same refund is debited once."""
    merchant_id = Recharge.objects.filter(pk=recharge_id).values_list("merchant_id", flat=True).get()
    deposit = ledger.lock_deposit(merchant_id)
    recharge = Recharge.objects.select_for_update().select_related("merchant__user").get(pk=recharge_id)
    if LedgerEntry.objects.filter(key=key).exists():
        return Decimal("0.00")
    amount = money.quantize(amount)
    debit = max(min(amount, deposit.balance - deposit.reserved), Decimal("0.00"))
    shortfall = amount - debit
    note = (
        reason if not shortfall else f"{reason} — " + _("non couvert : %(amount)s") % {"amount": money.money(shortfall)}
    )
    ledger.post(key=key, kind=Kind.REFUND, merchant=recharge.merchant, balance=-debit, recharge=recharge, reason=note)
    Recharge.objects.filter(pk=recharge.pk).update(refunded_amount=recharge.refunded_amount + amount)
    ledger.level_apply(deposit=deposit)
    notices.refund_debited(recharge=recharge, amount=debit, shortfall=shortfall, key=key)
    return debit


@transaction.atomic
def deposit_adjust(*, merchant: MerchantProfile, amount, reason: str, actor, token: str | None = None) -> LedgerEntry:
    """A manual correction by staff (signed amount, reason required): never below zero
    nor below what pending leads hold. `token` names the form it came from (the admin
    puts one in each form it shows): the same form sent twice adjusts once
    (ALREADY_RECORDED)."""
    reason = errors.required_text(reason, field="reason", message=_("Indiquez le motif de l'ajustement."))
    amount = money.quantize(Decimal(str(amount)))
    if not amount:
        raise LeadError(errors.AMOUNT_INVALID, _("Le montant ne peut pas être nul."), details={"amount": _("≠ 0")})
    deposit = ledger.lock_deposit(merchant.pk)
    if token is None:
        token = f"{merchant.pk}:{LedgerEntry.objects.filter(merchant=merchant, kind=Kind.ADJUSTMENT).count() + 1}"
    key = f"adjust:{token}"[:120]
    if LedgerEntry.objects.filter(key=key).exists():
        raise LeadError(errors.ALREADY_RECORDED, _("Cet ajustement est déjà enregistré."))
    try:
        entry = ledger.post(
            key=key,
            kind=Kind.ADJUSTMENT,
            merchant=merchant,
            balance=amount,
            reason=reason,
            actor=actor,
        )
    except ledger.Refused:
        raise LeadError(
            errors.DEPOSIT_INSUFFICIENT,
            _("Le dépôt ne peut pas descendre sous zéro ni sous le montant réservé (%(reserved)s).")
            % {"reserved": money.money(deposit.reserved)},
        ) from None
    deposit.refresh_from_db()
    _reset_alerts(deposit)
    ledger.level_apply(deposit=deposit)
    return entry
