"""The marketplace's money rules at their edges (leads.money)."""

from decimal import Decimal

import pytest

from leads import money
from leads.models import Deposit, Level

from .factories import make_merchant


@pytest.mark.parametrize(
    ("value", "total", "influencer", "kind"),
    [
        ("10", "1.00", "0.30", "percent"),
        ("300", "30.00", "9.00", "percent"),
        ("600", "60.00", "18.00", "percent"),
        ("795", "79.50", "23.85", "percent"),
        ("799.99", "80.00", "24.00", "percent"),
        ("800", "80.00", "24.00", "fixed"),
        ("1500", "80.00", "24.00", "fixed"),
        ("10000", "80.00", "24.00", "fixed"),
    ],
)
def test_commission_is_ten_percent_capped_at_80_with_30_percent_for_the_influencer(value, total, influencer, kind):
    commission = money.commission_for(Decimal(value))
    assert (commission.total, commission.influencer, commission.type) == (Decimal(total), Decimal(influencer), kind)
    assert commission.platform == Decimal(total) - Decimal(influencer)


def test_an_estimated_value_below_10_dhs_is_refused():
    with pytest.raises(ValueError):
        money.commission_for(Decimal("9.99"))


def test_commission_rates_and_cap_are_settings(settings):
    settings.LEADS_COMMISSION_RATE, settings.LEADS_COMMISSION_CAP, settings.LEADS_INFLUENCER_RATE = "0.05", "50", "0.5"
    commission = money.commission_for(Decimal("2000"))
    assert (commission.total, commission.influencer) == (Decimal("50.00"), Decimal("25.00"))


LEVEL_CASES = [
    # (balance, reserved, reference, level)
    ("3400", "240", "5000", Level.HEALTHY),
    ("2500.01", "0", "5000", Level.HEALTHY),
    ("2500.00", "0", "5000", Level.ATTENTION),
    ("1000.01", "0", "5000", Level.ATTENTION),
    ("1000.00", "0", "5000", Level.WARNING),
    ("500.01", "0", "5000", Level.WARNING),
    ("500.00", "0", "5000", Level.CRITICAL),
    ("1.00", "0", "5000", Level.CRITICAL),
    ("0.99", "0", "5000", Level.DEPLETED),
    ("4000", "3999.01", "5000", Level.DEPLETED),
    ("0.99", "0", None, Level.DEPLETED),
    ("1.00", "0", None, Level.HEALTHY),
    ("0", "0", None, Level.DEPLETED),
]


@pytest.mark.parametrize(("balance", "reserved", "reference", "level"), LEVEL_CASES)
def test_level_of_a_deposit_at_its_boundaries(balance, reserved, reference, level):
    reference = Decimal(reference) if reference else None
    assert money.level_of(balance=Decimal(balance), reserved=Decimal(reserved), reference=reference) == level


@pytest.mark.django_db
def test_the_database_computes_the_same_levels_as_python():
    merchants = [make_merchant() for _ in LEVEL_CASES]
    for merchant, (balance, reserved, reference, _level) in zip(merchants, LEVEL_CASES, strict=True):
        Deposit.objects.filter(merchant=merchant).update(balance=balance, reserved=reserved, reference=reference)
    levels = dict(money.annotate_level(Deposit.objects.all()).values_list("merchant_id", "level"))
    assert [levels[m.pk] for m in merchants] == [case[3] for case in LEVEL_CASES]


def test_percent_is_balance_over_the_last_recharge():
    assert money.percent_of(Decimal("3400"), Decimal("5000")) == Decimal("68.0")
    assert money.percent_of(Decimal("3400"), None) is None


@pytest.mark.parametrize(
    ("raw", "key"),
    [("06 12-34 56 78", "212612345678"), ("+212 6 12 34 56 78", "212612345678"), ("00212612345678", "212612345678")],
)
def test_phone_numbers_are_compared_in_international_form(raw, key):
    assert money.phone_key(raw) == key


def test_emails_are_compared_without_case_or_spaces():
    assert money.email_key("  Ahmed@Email.COM ") == "ahmed@email.com"
