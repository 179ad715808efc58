"""Shared by the leads admin tests: URLs, a populated marketplace, action posts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.admin import helpers
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from leads import jobs, ledger, services
from leads.models import Lead, LedgerEntry
from leads.payouts import payout_request

from .factories import make_campaign, make_influencer, make_lead, make_merchant

MODELS = (
    "lead",
    "deposit",
    "ledgerentry",
    "recharge",
    "receipt",
    "payout",
    "merchantprofile",
    "influencerprofile",
    "campaign",
)


def changelist(model: str) -> str:
    return reverse(f"admin:leads_{model}_changelist")


def change(model: str, pk: int) -> str:
    return reverse(f"admin:leads_{model}_change", args=[pk])


def credit_earnings(influencer, amount) -> None:
    """Earnings as validated leads would bring them, through the ledger."""
    with transaction.atomic():
        ledger.post(
            key=f"test-credit:{influencer.pk}:{LedgerEntry.objects.count()}",
            kind=LedgerEntry.Kind.INFLUENCER_CREDIT,
            influencer=influencer,
            earnings=Decimal(amount),
        )


def payout_for(influencer=None, amount="150"):
    influencer = influencer or make_influencer(bank_holder="Sara Alami", bank_rib="011780000012345678901234")
    credit_earnings(influencer, amount)
    return payout_request(influencer=influencer)


def populate(n: int) -> None:
    """n of everything a leads admin list shows: merchants funded (recharge, receipt,
    ledger rows), campaigns, pending and validated leads, influencers, payouts."""
    for _ in range(n):
        merchant = make_merchant(balance="1000")
        campaign = make_campaign(merchant)
        influencer = make_influencer(bank_holder="Sara Alami", bank_rib="011780000012345678901234")
        make_lead(campaign=campaign, influencer=influencer)
        done = make_lead(campaign=campaign, influencer=influencer)
        services.lead_validate(lead_id=done.pk, merchant=merchant, rating=8)
        payout_for(influencer)


def expire(lead: Lead) -> Lead:
    """The nightly job expires the lead (created 80 hours ago)."""
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - timedelta(hours=80))
    jobs.leads_expire()
    lead.refresh_from_db()
    return lead


def run_action(client, model: str, action: str, objects, *, follow: bool | None = None, **fields):
    """Choose an action on the changelist; with `fields`, submit its intermediate form too
    (and follow the redirect back to the list, with its messages)."""
    data = {"action": action, helpers.ACTION_CHECKBOX_NAME: [str(o.pk) for o in objects]}
    if fields:
        data |= {"post": "yes", **fields}
    return client.post(changelist(model), data, follow=bool(fields) if follow is None else follow)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]
