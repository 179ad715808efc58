"""Campaigns: a merchant lists, creates, edits, pauses and resumes their own; an
influencer lists the active campaigns of every merchant."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from .. import errors, selectors, services
from ..errors import LeadError
from ..models import MerchantProfile
from .answers import campaign_json
from .common import _merchant, _profile
from .schemas import CampaignIn, CampaignOut, CampaignPatchIn, Id

router = Router(tags=["campaigns"])


def _own(merchant: MerchantProfile, campaign_id: int) -> dict:
    """One of the merchant's campaigns, with its lead counts (404 if not theirs)."""
    campaign = selectors.campaign_list(merchant=merchant).filter(pk=campaign_id).first()
    if campaign is None:
        raise LeadError(errors.CAMPAIGN_NOT_FOUND, _("Campagne introuvable."))
    return campaign_json(campaign, merchant_name=merchant.company_name, own=True)


@router.get("campaigns", response=list[CampaignOut], url_name="campaigns", summary="Campaigns")
def campaign_list(request: HttpRequest):
    """A merchant's own campaigns (all statuses, with lead counts), or, for an
    influencer, the active campaigns of every merchant."""
    merchant, _influencer = _profile(request)
    if merchant is not None:
        return [
            campaign_json(c, merchant_name=merchant.company_name, own=True)
            for c in selectors.campaign_list(merchant=merchant)
        ]
    return [campaign_json(c, merchant_name=c.merchant.company_name, own=False) for c in selectors.active_campaigns()]


@router.post("campaigns", response={201: CampaignOut}, url_name="campaign-create", summary="Create a campaign")
def campaign_create(request: HttpRequest, payload: CampaignIn):
    """Created active, or paused until the next recharge if the deposit is depleted."""
    merchant = _merchant(request)
    campaign = services.campaign_create(merchant=merchant, name=payload.name, description=payload.description)
    return Status(201, campaign_json(campaign, merchant_name=merchant.company_name, own=True))


@router.patch("campaigns/{id}", response=CampaignOut, url_name="campaign-update", summary="Edit a campaign")
def campaign_update(request: HttpRequest, id: Id, payload: CampaignPatchIn):  # noqa: A002 - the path's name
    """Only the fields sent change. 404 CAMPAIGN_NOT_FOUND."""
    merchant = _merchant(request)
    current = _own(merchant, id)
    services.campaign_update(
        merchant=merchant,
        campaign_id=id,
        name=current["name"] if payload.name is None else payload.name,
        description=current["description"] if payload.description is None else payload.description,
    )
    return _own(merchant, id)


@router.post("campaigns/{id}/pause", response=CampaignOut, url_name="campaign-pause", summary="Pause a campaign")
def campaign_pause(request: HttpRequest, id: Id):  # noqa: A002 - the path's name
    merchant = _merchant(request)
    services.campaign_pause(merchant=merchant, campaign_id=id)
    return _own(merchant, id)


@router.post("campaigns/{id}/resume", response=CampaignOut, url_name="campaign-resume", summary="Resume a campaign")
def campaign_resume(request: HttpRequest, id: Id):  # noqa: A002 - the path's name
    """409 CAMPAIGN_DEPOSIT_DEPLETED while the deposit is depleted."""
    merchant = _merchant(request)
    services.campaign_resume(merchant=merchant, campaign_id=id)
    return _own(merchant, id)
