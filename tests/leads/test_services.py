"""Leads, campaigns and deposits through the services: the two-phase reservation,
state transitions, duplicates, isolation between merchants."""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from leads import errors, ledger, services
from leads.errors import LeadError
from leads.models import Campaign, Lead, LeadEvent, LedgerEntry
from leads.recharges import deposit_adjust

from .factories import fund, ledger_consistent, make_campaign, make_influencer, make_lead, make_merchant

pytestmark = pytest.mark.django_db


@pytest.fixture
def market():
    merchant = make_merchant(balance=5000)
    return merchant, make_campaign(merchant), make_influencer()


def _code(call) -> str:
    with pytest.raises(LeadError) as exc:
        call()
    return exc.value.code


def test_creating_a_lead_reserves_its_commission(market):
    # given
    merchant, campaign, influencer = market
    # when
    lead = make_lead(campaign=campaign, influencer=influencer, value="1500")
    # then
    merchant.deposit.refresh_from_db()
    assert (lead.status, lead.commission, lead.influencer_share) == ("pending", Decimal("80.00"), Decimal("24.00"))
    assert (merchant.deposit.balance, merchant.deposit.reserved) == (Decimal("5000.00"), Decimal("80.00"))
    assert merchant.deposit.available == Decimal("4920.00")
    assert LedgerEntry.objects.get(lead=lead).kind == "reservation"
    assert ledger_consistent(merchant)


def test_validating_deducts_releases_and_credits_the_influencer(market):
    merchant, campaign, influencer = market
    lead = make_lead(campaign=campaign, influencer=influencer, value="600")
    services.lead_validate(lead_id=lead.pk, merchant=merchant, rating=8, feedback="Très bon contact", actor=None)
    merchant.deposit.refresh_from_db()
    influencer.refresh_from_db()
    lead.refresh_from_db()
    assert (merchant.deposit.balance, merchant.deposit.reserved) == (Decimal("4940.00"), Decimal("0.00"))
    assert influencer.earnings == Decimal("18.00")
    assert (lead.status, lead.rating, lead.feedback) == ("validated", 8, "Très bon contact")
    assert list(lead.ledger.order_by("pk").values_list("kind", flat=True)) == [
        "reservation",
        "deduction",
        "influencer_credit",
    ]
    assert ledger_consistent(merchant)
    assert ledger.influencer_sum(influencer.pk) == influencer.earnings


def test_rejecting_releases_without_deduction_and_needs_a_reason(market):
    merchant, campaign, influencer = market
    lead = make_lead(campaign=campaign, influencer=influencer, value="300")
    assert _code(lambda: services.lead_reject(lead_id=lead.pk, merchant=merchant, reason="  ")) == "REASON_REQUIRED"
    services.lead_reject(lead_id=lead.pk, merchant=merchant, reason="Client injoignable")
    merchant.deposit.refresh_from_db()
    assert (merchant.deposit.balance, merchant.deposit.reserved) == (Decimal("5000.00"), Decimal("0.00"))
    assert Lead.objects.get(pk=lead.pk).reason == "Client injoignable"
    assert ledger_consistent(merchant)


@pytest.mark.parametrize("rating", [0, 11, "abc", None, 7.5])
def test_a_rating_outside_1_to_10_is_refused(market, rating):
    merchant, campaign, influencer = market
    lead = make_lead(campaign=campaign, influencer=influencer)
    assert _code(lambda: services.lead_validate(lead_id=lead.pk, merchant=merchant, rating=rating)) == "INVALID_RATING"


@pytest.mark.parametrize(
    ("first", "second"),
    [("validate", "validate"), ("validate", "reject"), ("reject", "validate"), ("reject", "reject")],
)
def test_a_resolved_lead_cannot_resolve_again(market, first, second):
    merchant, campaign, influencer = market
    lead = make_lead(campaign=campaign, influencer=influencer)
    actions = {
        "validate": lambda: services.lead_validate(lead_id=lead.pk, merchant=merchant, rating=5),
        "reject": lambda: services.lead_reject(lead_id=lead.pk, merchant=merchant, reason="Hors cible"),
    }
    actions[first]()
    assert _code(actions[second]) == "LEAD_ALREADY_RESOLVED"
    assert ledger_consistent(merchant)


def test_an_expired_lead_cannot_be_validated_by_the_merchant_but_staff_may_within_7_days(market, admin_user):
    merchant, campaign, influencer = market
    lead = make_lead(campaign=campaign, influencer=influencer)
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - timedelta(hours=73))
    from leads.jobs import leads_expire

    assert leads_expire() == 1
    assert _code(lambda: services.lead_validate(lead_id=lead.pk, merchant=merchant, rating=5)) == (
        "LEAD_ALREADY_RESOLVED"
    )
    assert _code(lambda: services.lead_dispute_validate(lead_id=lead.pk, rating=6, reason="", actor=admin_user)) == (
        "REASON_REQUIRED"
    )
    services.lead_dispute_validate(lead_id=lead.pk, rating=6, reason="Preuve d'échange fournie", actor=admin_user)
    lead.refresh_from_db()
    merchant.deposit.refresh_from_db()
    assert lead.status == "validated"
    assert (merchant.deposit.balance, merchant.deposit.reserved) == (Decimal("4920.00"), Decimal("0.00"))
    assert list(lead.events.values_list("from_status", "to_status")) == [
        ("", "pending"),
        ("pending", "expired"),
        ("expired", "validated"),
    ]
    assert ledger_consistent(merchant)


def test_the_dispute_window_closes_7_days_after_expiry(market, admin_user):
    merchant, campaign, influencer = market
    lead = make_lead(campaign=campaign, influencer=influencer)
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - timedelta(days=11))
    from leads.jobs import leads_expire

    leads_expire(now=timezone.now() - timedelta(days=8))
    code = _code(
        lambda: services.lead_dispute_validate(lead_id=lead.pk, rating=6, reason="Trop tard", actor=admin_user)
    )
    assert code == "DISPUTE_WINDOW_CLOSED"


def test_a_paused_campaign_is_refused_before_anything_else(market):
    merchant, campaign, influencer = market
    services.campaign_pause(merchant=merchant, campaign_id=campaign.pk)
    assert _code(lambda: make_lead(campaign=campaign, influencer=influencer, value="1")) == "CAMPAIGN_PAUSED"


def test_a_deposit_that_does_not_cover_the_commission_is_refused():
    merchant = make_merchant(balance=0)
    fund(merchant, 500)
    campaign, influencer = make_campaign(merchant), make_influencer()
    for _ in range(6):
        make_lead(campaign=campaign, influencer=influencer, value="800")  # 6 × 80 = 480
    assert _code(lambda: make_lead(campaign=campaign, influencer=influencer, value="800")) == "DEPOSIT_INSUFFICIENT"
    merchant.deposit.refresh_from_db()
    assert merchant.deposit.available == Decimal("20.00")
    assert ledger_consistent(merchant)


def test_the_same_client_on_the_same_campaign_within_30_days_is_a_duplicate_whoever_brings_it(market):
    merchant, campaign, influencer = market
    first = make_lead(campaign=campaign, influencer=influencer, email="Ahmed@Email.com", phone="06 12 34 56 78")
    services.lead_reject(lead_id=first.pk, merchant=merchant, reason="Pas intéressé")
    other = make_influencer()
    by_email = lambda: make_lead(campaign=campaign, influencer=other, email=" ahmed@email.COM")  # noqa: E731
    by_phone = lambda: make_lead(campaign=campaign, influencer=other, email="x@example.com", phone="+212612345678")  # noqa: E731
    assert _code(by_email) == "DUPLICATE_LEAD"
    assert _code(by_phone) == "DUPLICATE_LEAD"
    # Another campaign, or 31 days later, is a new lead.
    make_lead(campaign=make_campaign(merchant, "Autre"), influencer=other, email="ahmed@email.com")
    Lead.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=31))
    make_lead(campaign=campaign, influencer=other, email="ahmed@email.com")


def test_an_estimated_value_below_the_minimum_is_refused(market):
    _merchant, campaign, influencer = market
    assert _code(lambda: make_lead(campaign=campaign, influencer=influencer, value="9.99")) == "INVALID_VALUE"
    assert make_lead(campaign=campaign, influencer=influencer, value="10").commission == Decimal("1.00")


def test_a_merchant_never_reaches_another_merchants_lead(market):
    merchant, campaign, influencer = market
    lead = make_lead(campaign=campaign, influencer=influencer)
    intruder = make_merchant(balance=1000)
    assert _code(lambda: services.lead_validate(lead_id=lead.pk, merchant=intruder, rating=9)) == "LEAD_NOT_FOUND"
    assert _code(lambda: services.lead_reject(lead_id=lead.pk, merchant=intruder, reason="x")) == "LEAD_NOT_FOUND"
    assert _code(lambda: services.campaign_pause(merchant=intruder, campaign_id=campaign.pk)) == "CAMPAIGN_NOT_FOUND"
    assert Lead.objects.get(pk=lead.pk).status == "pending"


def test_a_depleted_deposit_pauses_active_campaigns_and_a_recharge_resumes_exactly_those():
    merchant = make_merchant(balance=0)
    fund(merchant, 500)
    active, influencer = make_campaign(merchant, "Active"), make_influencer()
    by_hand = make_campaign(merchant, "Mise en pause à la main")
    services.campaign_pause(merchant=merchant, campaign_id=by_hand.pk)
    leads = [make_lead(campaign=active, influencer=influencer, value="1000") for _ in range(6)]
    last = make_lead(campaign=active, influencer=influencer, value="200")  # 480 + 20 = 500: nothing left
    assert Campaign.objects.get(pk=active.pk).status == "paused"
    assert _code(lambda: services.campaign_resume(merchant=merchant, campaign_id=active.pk)) == (
        "CAMPAIGN_DEPOSIT_DEPLETED"
    )
    for lead in [*leads, last]:
        services.lead_validate(lead_id=lead.pk, merchant=merchant, rating=7)
    fund(merchant, 2000)
    assert Campaign.objects.get(pk=active.pk).status == "active"
    assert Campaign.objects.get(pk=by_hand.pk).status == "paused"
    assert ledger_consistent(merchant)


def test_manual_adjustments_need_a_reason_and_never_go_below_what_is_reserved(market, admin_user):
    merchant, campaign, influencer = market
    make_lead(campaign=campaign, influencer=influencer, value="1000")
    assert _code(lambda: deposit_adjust(merchant=merchant, amount="100", reason="", actor=admin_user)) == (
        "REASON_REQUIRED"
    )
    assert _code(lambda: deposit_adjust(merchant=merchant, amount="-4921", reason="Erreur", actor=admin_user)) == (
        "DEPOSIT_INSUFFICIENT"
    )
    deposit_adjust(merchant=merchant, amount="-4920", reason="Geste commercial annulé", actor=admin_user)
    merchant.deposit.refresh_from_db()
    assert (merchant.deposit.balance, merchant.deposit.reserved) == (Decimal("80.00"), Decimal("80.00"))
    assert ledger_consistent(merchant)


def test_every_change_of_a_lead_is_recorded_as_a_row(market):
    merchant, campaign, influencer = market
    lead = make_lead(campaign=campaign, influencer=influencer)
    services.lead_validate(lead_id=lead.pk, merchant=merchant, rating=9, actor=merchant.user)
    events = list(LeadEvent.objects.filter(lead=lead).values_list("from_status", "to_status", "actor"))
    assert events == [("", "pending", None), ("pending", "validated", merchant.user.pk)]


def test_the_deposit_equals_the_ledger_after_a_random_sequence_of_operations(admin_user):
    rng = random.Random(20261202)
    merchant = make_merchant(balance=3000)
    campaigns = [make_campaign(merchant, f"C{i}") for i in range(3)]
    influencers = [make_influencer() for _ in range(3)]
    pending: list[Lead] = []
    for _step in range(120):
        action = rng.choice(["create", "create", "validate", "reject", "adjust", "fund", "resume"])
        try:
            if action == "create":
                pending.append(
                    make_lead(
                        campaign=rng.choice(campaigns),
                        influencer=rng.choice(influencers),
                        value=str(rng.choice([10, 55.55, 300, 799.99, 800, 5000])),
                    )
                )
            elif action in ("validate", "reject") and pending:
                lead = pending.pop(rng.randrange(len(pending)))
                if action == "validate":
                    services.lead_validate(lead_id=lead.pk, merchant=merchant, rating=rng.randint(1, 10))
                else:
                    services.lead_reject(lead_id=lead.pk, merchant=merchant, reason="Aléatoire")
            elif action == "adjust":
                deposit_adjust(
                    merchant=merchant, amount=str(rng.choice([-250, -40.5, 75])), reason="Test", actor=admin_user
                )
            elif action == "fund":
                fund(merchant, rng.choice([500, 2000]))
            elif action == "resume":
                services.campaign_resume(merchant=merchant, campaign_id=rng.choice(campaigns).pk)
        except LeadError as exc:
            assert exc.code in {errors.DEPOSIT_INSUFFICIENT, errors.CAMPAIGN_PAUSED, errors.CAMPAIGN_DEPOSIT_DEPLETED}
        merchant.deposit.refresh_from_db()
        deposit = merchant.deposit
        assert deposit.balance >= 0 and 0 <= deposit.reserved <= deposit.balance
        assert ledger_consistent(merchant)
    for influencer in influencers:
        influencer.refresh_from_db()
        assert ledger.influencer_sum(influencer.pk) == influencer.earnings
    assert not ledger.mismatched_deposits().exists()
