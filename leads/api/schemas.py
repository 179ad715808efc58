"""Request bodies and answers of the leads API, and the functions that turn the
marketplace's objects into those answers.

Amounts travel as strings with two decimals ("80.00") beside their currency, never as
JSON numbers (floats). An amount sent by a client may be a string or a number: it is
read as text and parsed by the service that owns its rule (minimum value, recharge
bounds...), so a rule is written once and answers with its own error code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, StringConstraints

from core.schemas import EMAIL_MAX_LENGTH, INT64_MAX, Page, PageSize

from ..models import Campaign, Lead, LedgerEntry, Payout, Receipt, Recharge
from ..money import Commission
from ..selectors import DepositSummary

# --- value types --------------------------------------------------------------------


def _number_as_text(value):
    # JSON numbers are accepted too (1500, 1500.5) and read as their text; booleans are not
    # numbers here (pydantic then refuses them as it refuses any non-string).
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


AmountText = Annotated[
    str,
    BeforeValidator(_number_as_text),
    StringConstraints(strip_whitespace=True, max_length=32),
    Field(description='Amount in MAD: a string such as "1500.00" (a JSON number is accepted)'),
]


def _email_or_blank(value: str) -> str:
    if value:
        try:
            validate_email(value)
        except DjangoValidationError:
            raise ValueError("invalid e-mail address") from None
    return value


OptionalEmail = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=EMAIL_MAX_LENGTH), AfterValidator(_email_or_blank)
]
Id = Annotated[int, Field(ge=1, le=INT64_MAX)]


# Text fields, trimmed, within their column (a name must not be blank).
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Line = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]


def _amount(value) -> str | None:
    return None if value is None else f"{value:.2f}"


# --- requests -----------------------------------------------------------------------


class LeadCreateIn(Schema):
    campaign_id: Id
    client_name: Name
    client_email: OptionalEmail = ""
    client_phone: Phone = ""
    company: Line = ""
    estimated_value: AmountText
    source: Lead.Source
    notes: LongText = ""


class LeadValidateIn(Schema):
    rating: int = Field(..., ge=1, le=10)
    feedback: LongText = ""


class LeadRejectIn(Schema):
    reason: LongText


def _blank_as_none(value):
    # "?status=" (a filter form's "all" choice) means no filter.
    return None if value == "" else value


class LeadListQuery(Schema):
    status: Annotated[Lead.Status | None, BeforeValidator(_blank_as_none)] = None
    page: Page = 1
    page_size: PageSize = 25


class PageQuery(Schema):
    page: Page = 1
    page_size: PageSize = 50


class CommissionQuery(Schema):
    estimated_value: AmountText


class RechargeIn(Schema):
    amount: AmountText


class CampaignIn(Schema):
    name: Name
    description: LongText = ""


class CampaignPatchIn(Schema):
    name: Name | None = None
    description: LongText | None = None


class PayoutIn(Schema):
    amount: AmountText | None = Field(None, description="MAD; omitted or null: all available earnings")


# --- answers --------------------------------------------------------------------------


class CommissionOut(Schema):
    total: str
    influencer: str
    currency: str


class CommissionPreviewOut(CommissionOut):
    type: str = Field(..., description='"percent" below the cap, "fixed" once it applies')


class LeadCreatedOut(Schema):
    id: int
    status: str
    commission: CommissionOut


class CampaignRef(Schema):
    id: int
    name: str


class LeadOut(Schema):
    id: int
    status: str
    campaign: CampaignRef
    merchant: str = Field(..., description="The merchant's company name")
    influencer: str = Field(..., description="The influencer's public name")
    client_name: str
    client_email: str
    client_phone: str
    company: str
    estimated_value: str
    commission: CommissionOut
    source: str
    notes: str
    rating: int | None
    feedback: str
    reason: str
    created_at: datetime
    resolved_at: datetime | None


class DepositOut(Schema):
    balance: str
    reserved: str
    available: str
    reference: str | None = Field(..., description="The balance right after the last recharge")
    percent: float | None = Field(..., description="balance ÷ reference, in percent (one decimal)")
    level: str = Field(..., description="healthy, attention, warning, critical or depleted")
    currency: str


class LeadDecisionOut(Schema):
    lead: LeadOut
    deposit: DepositOut


class Paged(Schema):
    count: int
    page: int
    page_size: int
    pages: int


class LeadPage(Paged):
    items: list[LeadOut]


class RechargeStartedOut(Schema):
    checkout_url: str
    session_id: str
    recharge_id: int
    status: str


class RechargeOut(Schema):
    id: int
    status: str
    amount: str
    paid_amount: str | None
    currency: str
    receipt: str | None = Field(..., description="The receipt's number once paid")
    created_at: datetime
    paid_at: datetime | None


class TransactionOut(Schema):
    id: int
    created_at: datetime
    kind: str
    label: str
    balance_delta: str
    reserved_delta: str
    amount: str = Field(..., description="The movement, signed: balance_delta, or reserved_delta when only that moved")
    currency: str
    lead_id: int | None
    reason: str


class TransactionPage(Paged):
    items: list[TransactionOut]


class ReceiptOut(Schema):
    number: str
    amount: str
    currency: str
    issued_at: datetime
    url: str


class CampaignOut(Schema):
    id: int
    name: str
    description: str
    status: str
    paused_for_deposit: bool
    merchant: str = Field(..., description="The merchant's company name")
    lead_count: int | None = Field(..., description="The merchant's own campaigns only (null for influencers)")
    pending_count: int | None = Field(..., description="The merchant's own campaigns only (null for influencers)")
    created_at: datetime


class ByStatus(Schema):
    pending: int
    validated: int
    rejected: int
    expired: int


class StatsOut(Schema):
    total: int
    by_status: ByStatus
    validation_rate: float | None = Field(..., description="validated ÷ resolved leads, percent; null before any")
    commissions_earned: str
    available_earnings: str
    currency: str


class PayoutOut(Schema):
    id: int
    status: str
    amount: str
    currency: str
    bank_holder: str
    transfer_reference: str
    reason: str
    created_at: datetime
    resolved_at: datetime | None


# --- objects → answers ------------------------------------------------------------------


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
