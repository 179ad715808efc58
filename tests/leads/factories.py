"""Marketplace objects built through the real services (profiles, deposits, ledger)."""

from __future__ import annotations

import itertools
from decimal import Decimal

from django.contrib.auth import get_user_model

from leads import ledger, services
from leads.accounts import merchant_create
from leads.models import InfluencerProfile, Recharge

_seq = itertools.count(1)


def make_user(prefix: str, **extra):
    n = next(_seq)
    return get_user_model().objects.create_user(
        username=f"{prefix}{n}", email=f"{prefix}{n}@example.com", password="pw-Secret-123", **extra
    )


def make_merchant(*, balance: Decimal | str | int = 0, company: str = "", phone: str = "+212612345678"):
    user = make_user("merchant")
    merchant = merchant_create(user=user, company_name=company or f"Société {user.pk}", phone=phone)
    if Decimal(balance):
        fund(merchant, balance)
    return merchant


def fund(merchant, amount) -> Recharge:
    """A paid bank-transfer recharge of `amount` (ledger row, reference, receipt)."""
    from datetime import date

    from leads.recharges import recharge_transfer_record

    return recharge_transfer_record(
        merchant=merchant, amount=Decimal(amount), reference=f"VIR-{next(_seq)}", paid_on=date.today(), actor=None
    )


def make_influencer(**extra) -> InfluencerProfile:
    user = make_user("influencer")
    return InfluencerProfile.objects.create(user=user, display_name=f"Influenceur {user.pk}", **extra)


def make_campaign(merchant, name: str = "Marketing digital"):
    return services.campaign_create(merchant=merchant, name=name)


def make_lead(*, campaign, influencer, value="1500", email=None, phone="", **extra):
    n = next(_seq)
    return services.lead_create(
        influencer=influencer,
        campaign_id=campaign.pk,
        client_name=extra.pop("client_name", f"Client {n}"),
        client_email=email if email is not None else f"client{n}@example.com",
        client_phone=phone,
        company="TechCorp",
        estimated_value=Decimal(value),
        source="instagram",
        notes="",
        **extra,
    )


def ledger_consistent(merchant) -> bool:
    merchant.deposit.refresh_from_db()
    return ledger.ledger_matches(merchant.deposit)
