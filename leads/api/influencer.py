"""An influencer's figures and payouts."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from .. import payouts, selectors
from .answers import payout_json, stats_json
from .common import _influencer
from .schemas import PayoutIn, PayoutOut, StatsOut

router = Router(tags=["influencer"])


@router.get("influencer/stats", response=StatsOut, url_name="influencer-stats", summary="The influencer's figures")
def influencer_stats(request: HttpRequest):
    return stats_json(selectors.influencer_stats(influencer=_influencer(request)))


@router.get("payouts", response=list[PayoutOut], url_name="payouts", summary="The influencer's payouts")
def payout_list(request: HttpRequest):
    return [payout_json(payout) for payout in selectors.payouts_for(influencer=_influencer(request))]


@router.post("payouts", response={201: PayoutOut}, url_name="payout-request", summary="Request a payout")
def payout_request(request: HttpRequest, payload: PayoutIn):
    """`amount` MAD (default: all available earnings) to the profile's bank account. 422
    BANK_DETAILS_MISSING, PAYOUT_BELOW_MINIMUM; 409 EARNINGS_INSUFFICIENT. An empty body
    (no JSON at all) asks for everything."""
    payout = payouts.payout_request(influencer=_influencer(request), amount=payload.amount, actor=request.user)
    return Status(201, payout_json(payout))
