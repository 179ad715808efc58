"""The money path under real concurrent transactions (one PostgreSQL connection per
thread, released together by a barrier)."""

from decimal import Decimal

import pytest

from leads import payouts, services
from leads.errors import LeadError
from leads.models import InfluencerProfile, Lead, LedgerEntry, Payout, Receipt
from tests.concurrency import run_at_once

from .factories import fund, ledger_consistent, make_campaign, make_influencer, make_lead, make_merchant

pytestmark = pytest.mark.django_db(transaction=True)


def _codes(outcomes) -> list[str]:
    return sorted(o.code if isinstance(o, LeadError) else type(o).__name__ for o in outcomes)


def test_twenty_lead_creations_against_a_deposit_that_affords_five():
    # given: 400 dhs, 80 dhs a lead
    merchant = make_merchant(balance=0)
    fund(merchant, 500)
    from leads.recharges import deposit_adjust

    deposit_adjust(merchant=merchant, amount="-100", reason="Ramené à 400 pour le test", actor=None)
    campaign, influencer = make_campaign(merchant), make_influencer()

    def create(n):
        return lambda: make_lead(campaign=campaign, influencer=influencer, value="1500", email=f"race{n}@example.com")

    # when
    outcomes = run_at_once(*(create(n) for n in range(20)))
    # then
    created = [o for o in outcomes if isinstance(o, Lead)]
    assert len(created) == 5, outcomes
    assert all(isinstance(o, LeadError) for o in outcomes if not isinstance(o, Lead))
    assert set(_codes(o for o in outcomes if isinstance(o, LeadError))) <= {"DEPOSIT_INSUFFICIENT", "CAMPAIGN_PAUSED"}
    merchant.deposit.refresh_from_db()
    assert (merchant.deposit.balance, merchant.deposit.reserved, merchant.deposit.available) == (
        Decimal("400.00"),
        Decimal("400.00"),
        Decimal("0.00"),
    )
    assert ledger_consistent(merchant)


def test_validate_and_reject_of_the_same_lead_at_once_exactly_one_wins():
    merchant = make_merchant(balance=2000)
    lead = make_lead(campaign=make_campaign(merchant), influencer=make_influencer(), value="800")
    outcomes = run_at_once(
        lambda: services.lead_validate(lead_id=lead.pk, merchant=merchant, rating=9),
        lambda: services.lead_reject(lead_id=lead.pk, merchant=merchant, reason="Doublon"),
        lambda: services.lead_validate(lead_id=lead.pk, merchant=merchant, rating=3),
    )
    winners = [o for o in outcomes if isinstance(o, Lead)]
    assert len(winners) == 1, outcomes
    assert _codes(o for o in outcomes if not isinstance(o, Lead)) == ["LEAD_ALREADY_RESOLVED"] * 2
    lead.refresh_from_db()
    assert lead.status == winners[0].status
    assert LedgerEntry.objects.filter(lead=lead, kind__in=["deduction", "release"]).count() == 1
    assert ledger_consistent(merchant)


def test_the_same_duplicate_client_at_once_creates_one_lead():
    merchant = make_merchant(balance=2000)
    campaign, influencers = make_campaign(merchant), [make_influencer() for _ in range(4)]
    outcomes = run_at_once(
        *(lambda i=i: make_lead(campaign=campaign, influencer=i, email="same@example.com") for i in influencers)
    )
    assert sum(isinstance(o, Lead) for o in outcomes) == 1
    assert _codes(o for o in outcomes if not isinstance(o, Lead)) == ["DUPLICATE_LEAD"] * 3


def test_two_payout_requests_for_the_same_earnings_pay_once():
    influencer = make_influencer(bank_holder="Sara Alaoui", bank_rib="011780000012345678901234")
    InfluencerProfile.objects.filter(pk=influencer.pk).update(earnings=Decimal("150.00"))
    LedgerEntry.objects.create(key="seed", kind="influencer_credit", influencer=influencer, earnings_delta=150)
    outcomes = run_at_once(*(lambda: payouts.payout_request(influencer=influencer) for _ in range(4)))
    assert sum(isinstance(o, Payout) for o in outcomes) == 1, outcomes
    influencer.refresh_from_db()
    assert influencer.earnings == Decimal("0.00")
    assert Payout.objects.filter(influencer=influencer).count() == 1


def test_marking_a_payout_paid_twice_at_once_pays_once(admin_user):
    influencer = make_influencer(bank_holder="Sara Alaoui", bank_rib="011780000012345678901234")
    InfluencerProfile.objects.filter(pk=influencer.pk).update(earnings=Decimal("150.00"))
    payout = payouts.payout_request(influencer=influencer)
    outcomes = run_at_once(
        lambda: payouts.payout_mark_paid(payout_id=payout.pk, transfer_reference="VIR-1", actor=admin_user),
        lambda: payouts.payout_mark_paid(payout_id=payout.pk, transfer_reference="VIR-2", actor=admin_user),
        lambda: payouts.payout_refuse(payout_id=payout.pk, reason="RIB invalide", actor=admin_user),
    )
    assert sum(isinstance(o, Payout) for o in outcomes) == 1
    assert _codes(o for o in outcomes if not isinstance(o, Payout)) == ["PAYOUT_ALREADY_RESOLVED"] * 2


def test_receipts_of_concurrent_recharges_are_numbered_without_gaps():
    merchants = [make_merchant() for _ in range(6)]
    run_at_once(*(lambda m=m: fund(m, 1000) for m in merchants))
    numbers = sorted(Receipt.objects.values_list("number", flat=True))
    year = numbers[0][4:8]
    assert numbers == [f"REC-{year}-{n:06d}" for n in range(1, 7)]
