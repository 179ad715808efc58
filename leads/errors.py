"""What the leads services refuse. Each web layer maps the code to its answer once
(leads/api: the JSON envelope and status; leads/views: a form error or a message)."""

from django.utils.translation import gettext as _

from core.errors import DomainError

CAMPAIGN_NOT_FOUND = "CAMPAIGN_NOT_FOUND"
CAMPAIGN_PAUSED = "CAMPAIGN_PAUSED"
DEPOSIT_INSUFFICIENT = "DEPOSIT_INSUFFICIENT"
DUPLICATE_LEAD = "DUPLICATE_LEAD"
INVALID_VALUE = "INVALID_VALUE"
# A field the service still refuses (too long for its column...), named in details.
INVALID_REQUEST = "INVALID_REQUEST"
LEAD_NOT_FOUND = "LEAD_NOT_FOUND"
LEAD_ALREADY_RESOLVED = "LEAD_ALREADY_RESOLVED"
DISPUTE_WINDOW_CLOSED = "DISPUTE_WINDOW_CLOSED"
INVALID_RATING = "INVALID_RATING"
REASON_REQUIRED = "REASON_REQUIRED"
CAMPAIGN_DEPOSIT_DEPLETED = "CAMPAIGN_DEPOSIT_DEPLETED"
AMOUNT_INVALID = "AMOUNT_INVALID"
PAYOUT_BELOW_MINIMUM = "PAYOUT_BELOW_MINIMUM"
EARNINGS_INSUFFICIENT = "EARNINGS_INSUFFICIENT"
BANK_DETAILS_MISSING = "BANK_DETAILS_MISSING"
PAYOUT_ALREADY_RESOLVED = "PAYOUT_ALREADY_RESOLVED"
# A bank transfer or an adjustment recorded a second time (a form sent twice).
ALREADY_RECORDED = "ALREADY_RECORDED"
RECHARGE_NOT_FOUND = "RECHARGE_NOT_FOUND"
RECEIPT_NOT_FOUND = "RECEIPT_NOT_FOUND"
NOT_A_MERCHANT = "NOT_A_MERCHANT"
NOT_AN_INFLUENCER = "NOT_AN_INFLUENCER"


class LeadError(DomainError):
    pass


def required_text(value, *, field: str, message: str) -> str:
    """The text a step needs (a reason, a transfer reference), stripped; REASON_REQUIRED
    naming `field` when it is empty."""
    text = (value or "").strip()
    if not text:
        raise LeadError(REASON_REQUIRED, message, details={field: _("requis")})
    return text
