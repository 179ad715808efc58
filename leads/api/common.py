"""What the leads API's routers share: who the caller is (merchant or influencer, else
403), and the page of a list. Object-level access is the selectors' and services' job:
they are always given the caller's profile, so someone else's object is not found."""

from __future__ import annotations

import math

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from core.errors import DomainError

from .. import errors
from ..errors import LeadError
from ..models import InfluencerProfile, MerchantProfile


def _merchant_or_none(user) -> MerchantProfile | None:
    try:
        return user.merchant
    except ObjectDoesNotExist:
        return None


def _influencer_or_none(user) -> InfluencerProfile | None:
    try:
        return user.influencer
    except ObjectDoesNotExist:
        return None


def _merchant(request: HttpRequest) -> MerchantProfile:
    """The caller's merchant profile, or 403 NOT_A_MERCHANT."""
    merchant = _merchant_or_none(request.user)
    if merchant is None:
        raise LeadError(errors.NOT_A_MERCHANT, _("Réservé aux comptes marchands."))
    return merchant


def _influencer(request: HttpRequest) -> InfluencerProfile:
    """The caller's influencer profile, or 403 NOT_AN_INFLUENCER."""
    influencer = _influencer_or_none(request.user)
    if influencer is None:
        raise LeadError(errors.NOT_AN_INFLUENCER, _("Réservé aux comptes influenceurs."))
    return influencer


def _profile(request: HttpRequest) -> tuple[MerchantProfile | None, InfluencerProfile | None]:
    """(merchant, None) or (None, influencer) for the endpoints both roles use; the merchant
    role wins, as in leads.accounts.role_of. An account with neither is 403 FORBIDDEN."""
    merchant = _merchant_or_none(request.user)
    if merchant is not None:
        return merchant, None
    influencer = _influencer_or_none(request.user)
    if influencer is None:
        raise DomainError("FORBIDDEN", _("Réservé aux comptes marchands et influenceurs."))
    return None, influencer


def paginate(queryset: QuerySet, *, page: int, page_size: int) -> tuple[list, dict]:
    """The rows of one page and the page's description `{count, page, page_size, pages}`
    (two queries: the count and the slice). A page past the last one is empty."""
    count = queryset.count()
    rows = list(queryset[(page - 1) * page_size : page * page_size]) if count else []
    return rows, {"count": count, "page": page, "page_size": page_size, "pages": max(1, math.ceil(count / page_size))}
