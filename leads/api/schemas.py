"""Request bodies and answers of the leads API (the functions that fill the answers
are in `answers`).

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

from ..models import Lead

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
