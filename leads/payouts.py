"""Influencers' payouts: a request takes the amount out of the earnings at once (one
conditional UPDATE through leads.ledger, so two requests cannot both spend the same
dirhams), staff then mark it paid with the transfer reference or refuse it, which
gives the amount back. Each step is a ledger row; a payout resolves once."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import errors, ledger, money, notices
from .errors import LeadError
from .models import InfluencerProfile, LedgerEntry, Payout

Kind = LedgerEntry.Kind


@transaction.atomic
def payout_request(*, influencer: InfluencerProfile, amount=None, actor=None) -> Payout:
    """Ask to be paid `amount` (default: all available earnings), at least
    LEADS_PAYOUT_MINIMUM dhs, to the bank account on the profile."""
    profile = InfluencerProfile.objects.select_for_update().get(pk=influencer.pk)
    if not profile.bank_holder.strip() or not profile.bank_rib.strip():
        raise LeadError(
            errors.BANK_DETAILS_MISSING, _("Renseignez d'abord le titulaire et le RIB de votre compte bancaire.")
        )
    value = profile.earnings if amount in (None, "") else money.amount_parse(amount)
    if value is None:
        value = Decimal("-1")
    minimum = Decimal(settings.LEADS_PAYOUT_MINIMUM)
    if not value.is_finite() or value < minimum:
        raise LeadError(
            errors.PAYOUT_BELOW_MINIMUM,
            _("Un paiement se demande à partir de %(minimum)s.") % {"minimum": money.money(minimum)},
            details={"amount": _("au moins %(minimum)s") % {"minimum": minimum}, "available": str(profile.earnings)},
        )
    if value > profile.earnings:
        raise LeadError(
            errors.EARNINGS_INSUFFICIENT,
            _("Vos gains disponibles (%(available)s) ne couvrent pas ce montant.")
            % {"available": money.money(profile.earnings)},
            details={"amount": _("au plus %(available)s") % {"available": profile.earnings}},
        )
    payout = Payout.objects.create(
        influencer=profile, amount=value, bank_holder=profile.bank_holder, bank_rib=profile.bank_rib
    )
    try:
        ledger.post(
            key=f"payout:{payout.pk}:request",
            kind=Kind.PAYOUT_REQUEST,
            influencer=profile,
            earnings=-value,
            payout=payout,
            actor=actor,
        )
    except ledger.Refused:
        raise LeadError(
            errors.EARNINGS_INSUFFICIENT,
            _("Vos gains disponibles (%(available)s) ne couvrent pas ce montant.")
            % {"available": money.money(profile.earnings)},
        ) from None
    return payout


def _resolve(*, payout_id: int, status: str, text: str, actor, give_back: bool = False) -> Payout:
    """The one step from "requested": locked, once, a ledger row, the influencer told.
    `text` is the transfer reference (paid) or the reason (refused); `give_back` returns
    the amount to the influencer's earnings (a refusal)."""
    payout = Payout.objects.select_for_update().select_related("influencer__user").get(pk=payout_id)
    if payout.status != Payout.Status.REQUESTED:
        raise LeadError(
            errors.PAYOUT_ALREADY_RESOLVED,
            _("Cette demande est déjà traitée (%(status)s).") % {"status": payout.get_status_display()},
        )
    ledger.post(
        key=f"payout:{payout.pk}:{status}",
        kind=Kind.PAYOUT_PAID if status == Payout.Status.PAID else Kind.PAYOUT_REFUSED,
        influencer=payout.influencer,
        earnings=payout.amount if give_back else Decimal("0.00"),
        payout=payout,
        actor=actor,
        reason=text,
    )
    field = "transfer_reference" if status == Payout.Status.PAID else "reason"
    payout.status, payout.resolved_at, payout.resolved_by = status, timezone.now(), actor
    setattr(payout, field, text)
    payout.save(update_fields=["status", field, "resolved_at", "resolved_by"])
    notices.payout_resolved(payout)
    return payout


@transaction.atomic
def payout_mark_paid(*, payout_id: int, transfer_reference: str, actor) -> Payout:
    reference = errors.required_text(
        transfer_reference, field="transfer_reference", message=_("Indiquez la référence du virement.")
    )
    return _resolve(payout_id=payout_id, status=Payout.Status.PAID, text=reference, actor=actor)


@transaction.atomic
def payout_refuse(*, payout_id: int, reason: str, actor) -> Payout:
    reason = errors.required_text(reason, field="reason", message=_("Indiquez le motif du refus."))
    return _resolve(payout_id=payout_id, status=Payout.Status.REFUSED, text=reason, actor=actor, give_back=True)


@transaction.atomic
def influencer_bank_details_set(*, influencer: InfluencerProfile, bank_holder: str, bank_rib: str) -> InfluencerProfile:
    """The bank account future payout requests are paid to (requests already made keep
    the details they were made with)."""
    profile = InfluencerProfile.objects.select_for_update().get(pk=influencer.pk)
    profile.bank_holder, profile.bank_rib = bank_holder.strip(), "".join(bank_rib.split()).upper()
    profile.full_clean(exclude=["user"])
    profile.save(update_fields=["bank_holder", "bank_rib"])
    return profile
