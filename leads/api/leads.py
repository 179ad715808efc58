"""Leads: an influencer creates one (rate-limited per user), the lead's merchant
validates or rejects it; both list their own; anyone logged in previews a commission."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from .. import money, selectors, services, throttle
from .answers import commission_json, deposit_json, lead_commission_json, lead_json
from .common import _influencer, _merchant, _profile, paginate
from .schemas import (
    CommissionPreviewOut,
    CommissionQuery,
    Id,
    LeadCreatedOut,
    LeadCreateIn,
    LeadDecisionOut,
    LeadListQuery,
    LeadPage,
    LeadRejectIn,
    LeadValidateIn,
)

router = Router(tags=["leads"])


@router.post("create", response={201: LeadCreatedOut}, url_name="lead-create", summary="Create a lead (influencer)")
def lead_create(request: HttpRequest, payload: LeadCreateIn):
    """A pending lead on an active campaign; its commission is reserved on the merchant's
    deposit. 409 DEPOSIT_INSUFFICIENT, CAMPAIGN_PAUSED, DUPLICATE_LEAD; 404
    CAMPAIGN_NOT_FOUND; 422 on bad fields; 429 RATE_LIMIT_EXCEEDED beyond the rate."""
    influencer = _influencer(request)
    throttle.lead_create_enforce(request, message=_("Trop de leads envoyés d'un coup. Réessayez dans %(wait)s."))
    lead = services.lead_create(influencer=influencer, actor=request.user, **payload.model_dump())
    return Status(201, {"id": lead.pk, "status": lead.status, "commission": lead_commission_json(lead)})


@router.get("", response=LeadPage, url_name="lead-list", summary="Own leads (merchant or influencer), paginated")
def lead_list(request: HttpRequest, query: Query[LeadListQuery]):
    """The merchant's leads, or the influencer's, newest first; `?status=` filters
    (empty: all). `?page=` (from 1) and `?page_size=` (1–200, default 25); the answer is
    `{items, count, page, page_size, pages}`, a page past the last one has no items."""
    merchant, influencer = _profile(request)
    leads = selectors.lead_list(merchant=merchant, influencer=influencer, status=query.status or "")
    rows, page = paginate(leads.select_related("merchant"), page=query.page, page_size=query.page_size)
    return {**page, "items": [lead_json(lead) for lead in rows]}


def _decision(request: HttpRequest, lead, merchant) -> dict:
    return {"lead": lead_json(lead), "deposit": deposit_json(selectors.merchant_deposit(merchant=merchant))}


@router.put("{id}/validate", response=LeadDecisionOut, url_name="lead-validate", summary="Validate a lead (merchant)")
def lead_validate(request: HttpRequest, id: Id, payload: LeadValidateIn):  # noqa: A002 - the path's name
    """The commission is deducted and the influencer credited. 409 LEAD_ALREADY_RESOLVED;
    404 LEAD_NOT_FOUND for another merchant's lead; 422 INVALID_RATING outside 1–10."""
    merchant = _merchant(request)
    lead = services.lead_validate(
        lead_id=id, merchant=merchant, rating=payload.rating, feedback=payload.feedback, actor=request.user
    )
    return _decision(request, lead, merchant)


@router.put("{id}/reject", response=LeadDecisionOut, url_name="lead-reject", summary="Reject a lead (merchant)")
def lead_reject(request: HttpRequest, id: Id, payload: LeadRejectIn):  # noqa: A002 - the path's name
    """The reservation is released. 409 LEAD_ALREADY_RESOLVED; 404 LEAD_NOT_FOUND; 422
    REASON_REQUIRED."""
    merchant = _merchant(request)
    lead = services.lead_reject(lead_id=id, merchant=merchant, reason=payload.reason, actor=request.user)
    return _decision(request, lead, merchant)


@router.get("commission", response=CommissionPreviewOut, url_name="commission", summary="Preview a commission")
def commission_preview(request: HttpRequest, query: Query[CommissionQuery]):
    """The server's rule for an estimated value (the lead form's live preview). 422
    INVALID_VALUE below the minimum."""
    value = services.estimated_value_parse(query.estimated_value)
    return commission_json(money.commission_for(value), with_type=True)
