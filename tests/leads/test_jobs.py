"""The marketplace's beat jobs: set-based, idempotent, alerts only when worse."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from core.models import OutboundMessage
from leads import jobs, services
from leads.models import Campaign, Deposit, Lead, LedgerEntry
from notifications.models import Notification

from .factories import fund, ledger_consistent, make_campaign, make_influencer, make_lead, make_merchant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _after_commit(django_capture_on_commit_callbacks, monkeypatch):
    """The check sends its alerts from tasks after commit: run them, as a worker would."""
    original = jobs.deposits_check

    def check():
        with django_capture_on_commit_callbacks(execute=True):
            return original()

    monkeypatch.setattr(jobs, "deposits_check", check)


def _set_balance(merchant, balance, reference="5000"):
    """Put a deposit at a level by hand (figures and ledger together)."""
    deposit = Deposit.objects.get(merchant=merchant)
    delta = Decimal(balance) - deposit.balance
    LedgerEntry.objects.create(
        key=f"test:{merchant.pk}:{LedgerEntry.objects.count()}",
        kind="adjustment",
        merchant=merchant,
        balance_delta=delta,
        reason="test",
    )
    Deposit.objects.filter(pk=deposit.pk).update(balance=balance, reference=reference)


def _alerts(merchant) -> list[str]:
    return list(
        Notification.objects.filter(user=merchant.user, kind__startswith="deposit_")
        .order_by("pk")
        .values_list("kind", flat=True)
    )


def _channels(merchant) -> set[str]:
    return set(
        OutboundMessage.objects.filter(key__startswith=f"deposit:{merchant.deposit.pk}:").values_list(
            "channel", flat=True
        )
    )


def test_the_hourly_check_alerts_once_per_level_and_only_when_worse():
    merchant = make_merchant(balance=5000)
    jobs.deposits_check()
    assert _alerts(merchant) == []  # healthy: nothing
    _set_balance(merchant, "1500")  # 30 %: attention
    jobs.deposits_check()
    jobs.deposits_check()  # the next hour: nothing new
    assert _alerts(merchant) == ["deposit_attention"]
    assert _channels(merchant) == set()  # dashboard only
    _set_balance(merchant, "800")  # 16 %: warning → + e-mail
    jobs.deposits_check()
    assert _alerts(merchant) == ["deposit_attention", "deposit_warning"]
    assert _channels(merchant) == {"email"}
    _set_balance(merchant, "1500")  # better, but not healthy: no alert, no reset
    jobs.deposits_check()
    _set_balance(merchant, "800")  # warning again: not worse than the last alerted
    jobs.deposits_check()
    assert _alerts(merchant) == ["deposit_attention", "deposit_warning"]
    _set_balance(merchant, "400")  # 8 %: critical → + SMS + WhatsApp
    jobs.deposits_check()
    assert _alerts(merchant)[-1] == "deposit_critical"
    assert _channels(merchant) == {"email", "sms", "whatsapp"}


def test_back_to_healthy_resets_the_alerts():
    merchant = make_merchant(balance=5000)
    _set_balance(merchant, "1500")
    jobs.deposits_check()
    _set_balance(merchant, "4000")
    assert jobs.deposits_check().reset == 1
    _set_balance(merchant, "1500")
    jobs.deposits_check()
    assert _alerts(merchant) == ["deposit_attention", "deposit_attention"]


def test_a_depleted_deposit_alerts_on_all_channels_and_pauses_campaigns():
    merchant = make_merchant(balance=5000)
    campaign = make_campaign(merchant)
    _set_balance(merchant, "0.50")
    result = jobs.deposits_check()
    assert result.alerted == {"depleted": 1}
    assert result.paused_campaigns == 1
    assert _alerts(merchant) == ["deposit_depleted"]
    assert _channels(merchant) == {"email", "sms", "whatsapp"}
    campaign.refresh_from_db()
    assert (campaign.status, campaign.paused_for_deposit) == ("paused", True)
    fund(merchant, 2000)
    campaign.refresh_from_db()
    assert campaign.status == "active"


@pytest.mark.parametrize(
    ("balance", "kind"),
    [("2500.00", "deposit_attention"), ("1000.00", "deposit_warning"), ("500.00", "deposit_critical")],
)
def test_alert_levels_at_their_boundaries(balance, kind):
    merchant = make_merchant(balance=5000)
    _set_balance(merchant, balance)
    jobs.deposits_check()
    assert _alerts(merchant) == [kind]


def test_pending_leads_older_than_72_hours_expire_and_release_their_reservation():
    merchant = make_merchant(balance=1000)
    campaign, influencer = make_campaign(merchant), make_influencer()
    old = make_lead(campaign=campaign, influencer=influencer, value="800")
    fresh = make_lead(campaign=campaign, influencer=influencer, value="300")
    Lead.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=72, minutes=1))
    assert jobs.leads_expire() == 1
    assert jobs.leads_expire() == 0  # twice: nothing more
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, old.reserved, fresh.status) == ("expired", False, "pending")
    merchant.deposit.refresh_from_db()
    assert (merchant.deposit.balance, merchant.deposit.reserved) == (Decimal("1000.00"), Decimal("30.00"))
    assert list(old.events.values_list("to_status", flat=True)) == ["pending", "expired"]
    assert Notification.objects.filter(user=influencer.user, kind="leads_expired").count() == 1
    assert Lead.objects.filter(pk=old.pk).exists()  # kept, never deleted
    assert ledger_consistent(merchant)


def test_expiry_resumes_campaigns_paused_by_reservations():
    merchant = make_merchant(balance=0)
    fund(merchant, 500)
    campaign, influencer = make_campaign(merchant), make_influencer()
    leads = [make_lead(campaign=campaign, influencer=influencer, value=str(v)) for v in (1000,) * 6 + (200,)]
    assert Campaign.objects.get(pk=campaign.pk).status == "paused"
    Lead.objects.filter(pk__in=[lead.pk for lead in leads]).update(created_at=timezone.now() - timedelta(days=4))
    jobs.leads_expire()
    assert Campaign.objects.get(pk=campaign.pk).status == "active"


def test_merchants_are_reminded_once_at_48_hours():
    merchant = make_merchant(balance=1000)
    lead = make_lead(campaign=make_campaign(merchant), influencer=make_influencer())
    assert jobs.leads_remind() == 0
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - timedelta(hours=49))
    assert jobs.leads_remind() == 1
    assert jobs.leads_remind() == 0
    assert OutboundMessage.objects.filter(key=f"lead:{lead.pk}:reminder").count() == 1


def test_the_daily_report_gives_yesterdays_figures_to_staff_once(admin_user):
    merchant = make_merchant(balance=5000)
    campaign, influencer = make_campaign(merchant), make_influencer()
    validated = make_lead(campaign=campaign, influencer=influencer, value="800")
    rejected = make_lead(campaign=campaign, influencer=influencer, value="300")
    services.lead_validate(lead_id=validated.pk, merchant=merchant, rating=8)
    services.lead_reject(lead_id=rejected.pk, merchant=merchant, reason="Hors zone")
    mail.outbox.clear()
    tomorrow = timezone.localdate() + timedelta(days=1)
    figures = jobs.daily_report(today=tomorrow)
    jobs.daily_report(today=tomorrow)
    assert (figures["created"], figures["validated"], figures["rejected"], figures["expired"]) == (2, 1, 1, 0)
    assert figures["commissions"] == Decimal("80.00")
    assert figures["recharges"] == Decimal("5000.00")
    assert figures["levels"]["healthy"] == 1
    messages = OutboundMessage.objects.filter(key__startswith=f"leads-report:{timezone.localdate().isoformat()}")
    assert messages.count() == 1
    assert messages.get().to == admin_user.email


def test_the_jobs_run_on_the_sites_time_zone(settings):
    from celery.schedules import crontab

    schedule = settings.CELERY_BEAT_SCHEDULE
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE == "Africa/Casablanca"
    assert schedule["leads-daily-report"]["schedule"] == crontab(hour=9, minute=0)
    assert schedule["leads-expire-pending"]["schedule"] == crontab(hour=23, minute=0)
    assert schedule["leads-check-deposits"]["schedule"] == crontab(minute=0)


def test_the_expiry_releases_each_merchants_reservations_in_one_ledger_row():
    merchant = make_merchant(balance=1000)
    campaign, influencer = make_campaign(merchant), make_influencer()
    leads = [make_lead(campaign=campaign, influencer=influencer, value=v) for v in ("800", "300", "600")]
    Lead.objects.filter(pk__in=[lead.pk for lead in leads]).update(created_at=timezone.now() - timedelta(days=4))
    assert jobs.leads_expire() == 3
    release = LedgerEntry.objects.get(merchant=merchant, kind="release")
    assert (release.reserved_delta, release.balance_delta) == (Decimal("-170.00"), Decimal("0.00"))
    assert release.reason == "Leads expirés\u00a0: 3"
    assert all(lead.events.filter(to_status="expired").count() == 1 for lead in leads)
    assert ledger_consistent(merchant)
