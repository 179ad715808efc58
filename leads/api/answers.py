"""The marketplace's objects as the leads API's answers (the shapes are in `schemas`).
Amounts as strings with two decimals, beside their currency."""

from __future__ import annotations

from ..models import Campaign, Lead, LedgerEntry, Payout, Receipt, Recharge
from ..money import Commission
from ..selectors import DepositSummary


def _amount(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def commission_json(commission: Commission, *, with_type: bool = False) -> dict:
    body = {"total": _amount(commission.total), "influencer": _amount(commission.influencer)}
    body["currency"] = commission.currency
    if with_type:
        body["type"] = commission.type
    return body


def lead_commission_json(lead: Lead) -> dict:
    return {"total": _amount(lead.commission), "influencer": _amount(lead.influencer_share), "currency": lead.currency}


def lead_json(lead: Lead) -> dict:
    """A lead loaded with its campaign, merchant and influencer (select_related)."""
    return {
        "id": lead.pk,
        "status": lead.status,
        "campaign": {"id": lead.campaign_id, "name": lead.campaign.name},
        "merchant": lead.merchant.company_name,
        "influencer": lead.influencer.display_name,
        "client_name": lead.client_name,
        "client_email": lead.client_email,
        "client_phone": lead.client_phone,
        "company": lead.company,
        "estimated_value": _amount(lead.estimated_value),
        "commission": lead_commission_json(lead),
        "source": lead.source,
        "notes": lead.notes,
        "rating": lead.rating,
        "feedback": lead.feedback,
        "reason": lead.reason,
        "created_at": lead.created_at,
        "resolved_at": lead.resolved_at,
    }


def deposit_json(summary: DepositSummary) -> dict:
    return summary.as_json()


def recharge_json(recharge: Recharge) -> dict:
    receipt = getattr(recharge, "receipt", None)  # none until paid
    return {
        "id": recharge.pk,
        "status": recharge.status,
        "amount": _amount(recharge.amount),
        "paid_amount": _amount(recharge.paid_amount),
        "currency": recharge.currency,
        "receipt": receipt.number if receipt is not None else None,
        "created_at": recharge.created_at,
        "paid_at": recharge.paid_at,
    }


def transaction_json(entry: LedgerEntry) -> dict:
    amount = entry.balance_delta if entry.balance_delta else entry.reserved_delta
    return {
        "id": entry.pk,
        "created_at": entry.created_at,
        "kind": entry.kind,
        "label": str(entry.get_kind_display()),
        "balance_delta": _amount(entry.balance_delta),
        "reserved_delta": _amount(entry.reserved_delta),
        "amount": _amount(amount),
        "currency": entry.currency,
        "lead_id": entry.lead_id,
        "reason": entry.reason,
    }


def receipt_json(receipt: Receipt, *, url: str) -> dict:
    return {
        "number": receipt.number,
        "amount": _amount(receipt.amount),
        "currency": receipt.currency,
        "issued_at": receipt.issued_at,
        "url": url,
    }


def campaign_json(campaign: Campaign, *, merchant_name: str, own: bool) -> dict:
    """`own`: the merchant's view, with the lead counts (the campaign annotated by
    selectors.campaign_list)."""
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "description": campaign.description,
        "status": campaign.status,
        "paused_for_deposit": campaign.paused_for_deposit,
        "merchant": merchant_name,
        "lead_count": getattr(campaign, "lead_count", 0) if own else None,
        "pending_count": getattr(campaign, "pending_count", 0) if own else None,
        "created_at": campaign.created_at,
    }


def stats_json(stats: dict) -> dict:
    rate = stats["validation_rate"]
    return {
        "total": stats["total"],
        "by_status": stats["by_status"],
        "validation_rate": float(rate) if rate is not None else None,
        "commissions_earned": _amount(stats["commissions_earned"]),
        "available_earnings": _amount(stats["available_earnings"]),
        "currency": stats["currency"],
    }


def payout_json(payout: Payout) -> dict:
    return {
        "id": payout.pk,
        "status": payout.status,
        "amount": _amount(payout.amount),
        "currency": payout.currency,
        "bank_holder": payout.bank_holder,
        "transfer_reference": payout.transfer_reference,
        "reason": payout.reason,
        "created_at": payout.created_at,
        "resolved_at": payout.resolved_at,
    }
