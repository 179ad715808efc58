"""The leads marketplace's JSON API, mounted at /api/leads/ (docs at /api/leads/docs).

Every endpoint takes the session (with its CSRF token for unsafe methods) or a personal
token (`Authorization: Bearer pt_...`), and answers refusals in the platform's envelope
(core.api.EnvelopeApi). Endpoints live in small routers by subject; each is thin: parse,
call one service or selector with the caller's own profile, turn the result into JSON.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from accounts.auth import SessionOrToken
from core.api import INVALID_REQUEST, EnvelopeApi
from payments import errors as payment_errors

from .. import errors
from . import campaigns, deposits, influencer, leads

# The HTTP status of each refusal of the leads services (and of the payments services a
# recharge goes through). A code missing here answers 400, never a 500.
STATUS = {
    **payment_errors.HTTP_STATUS,
    errors.CAMPAIGN_PAUSED: 409,
    errors.DEPOSIT_INSUFFICIENT: 409,
    errors.DUPLICATE_LEAD: 409,
    errors.LEAD_ALREADY_RESOLVED: 409,
    errors.CAMPAIGN_DEPOSIT_DEPLETED: 409,
    errors.PAYOUT_ALREADY_RESOLVED: 409,
    errors.EARNINGS_INSUFFICIENT: 409,
    errors.DISPUTE_WINDOW_CLOSED: 409,
    errors.INVALID_VALUE: 422,
    errors.INVALID_REQUEST: 422,
    errors.ALREADY_RECORDED: 409,
    errors.INVALID_RATING: 422,
    errors.REASON_REQUIRED: 422,
    errors.AMOUNT_INVALID: 422,
    errors.PAYOUT_BELOW_MINIMUM: 422,
    errors.BANK_DETAILS_MISSING: 422,
    errors.LEAD_NOT_FOUND: 404,
    errors.CAMPAIGN_NOT_FOUND: 404,
    errors.RECHARGE_NOT_FOUND: 404,
    errors.RECEIPT_NOT_FOUND: 404,
    errors.NOT_A_MERCHANT: 403,
    errors.NOT_AN_INFLUENCER: 403,
}

# A malformed value of these fields answers the code the service gives the same field
# out of range, so a client handles one code per field.
FIELD_CODES = {
    "estimated_value": errors.INVALID_VALUE,
    "rating": errors.INVALID_RATING,
    "amount": errors.AMOUNT_INVALID,
}


class LeadsApi(EnvelopeApi):
    STATUS = STATUS
    unauthorized_message = gettext_lazy("Authentification requise (session ou jeton personnel Bearer).")
    server_error_log = "leads API error"

    def validation_error_code(self, fields):
        codes = {FIELD_CODES.get(name) for name, _error in fields}
        if len(codes) == 1 and None not in codes:
            return codes.pop()
        return INVALID_REQUEST


api = LeadsApi(
    title="Leads",
    version="1.0.0",
    urls_namespace="leads-api",
    auth=SessionOrToken(),
    description=(
        "The marketplace: influencers bring leads to merchants' campaigns, merchants validate "
        "or reject them and pay commissions from a prepaid deposit. Authorization: Bearer pt_... "
        "(a personal token, /compte/jetons/) or the session (with X-CSRFToken). Amounts are "
        'strings in MAD ("80.00"). Lists that grow are paginated: ?page=&page_size= '
        "(at most 200) → {items, count, page, page_size, pages}."
    ),
)
api.add_router("", leads.router)
api.add_router("", deposits.router)
api.add_router("", campaigns.router)
api.add_router("", influencer.router)

__all__ = ["STATUS", "api"]
