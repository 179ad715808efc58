"""Retention: the nightly purges of license validation/heartbeat activity and of sent
outbox messages, and what they must never delete."""

from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.utils import timezone

from core.errors import DomainError
from core.models import OutboundMessage
from core.retention import purge_in_batches
from core.tasks import purge_old_outbound_messages
from licenses import checks, reference_data
from licenses.models import LicenseEvent
from licenses.retention import license_activity_purge
from licenses.selectors import license_stats
from licenses.services import license_trial_create
from licenses.tasks import purge_old_activity

pytestmark = pytest.mark.django_db

Action = LicenseEvent.Action


@pytest.fixture
def lic():
    reference_data.setup()
    return license_trial_create(product_slug="easyfacture", machine_id="c" * 32, email="client@example.com")


def _event(lic, action, days_ago):
    return LicenseEvent.objects.create(license=lic, action=action, created_at=timezone.now() - timedelta(days=days_ago))


def test_old_validations_and_heartbeats_are_purged_and_recent_ones_kept(lic):
    # given
    old = [_event(lic, Action.VALIDATED, 401), _event(lic, Action.HEARTBEAT, 500)]
    recent = [_event(lic, Action.VALIDATED, 399), _event(lic, Action.HEARTBEAT, 1)]

    # when
    deleted = purge_old_activity.delay().get()

    # then
    assert deleted == 2
    remaining = set(LicenseEvent.objects.values_list("pk", flat=True))
    assert not remaining & {e.pk for e in old}
    assert {e.pk for e in recent} <= remaining


def test_trials_activations_revocations_and_admin_actions_are_kept_forever(lic):
    history = [
        _event(lic, action, 3000)
        for action in (Action.ACTIVATED, Action.REVOKED, Action.REINSTATED, Action.EXTENDED, Action.EXPIRED)
    ]
    LicenseEvent.objects.filter(action=Action.TRIAL_CREATED).update(created_at=timezone.now() - timedelta(days=3000))

    assert license_activity_purge(older_than_days=400) == 0

    assert set(LicenseEvent.objects.values_list("pk", flat=True)) >= {e.pk for e in history}
    assert LicenseEvent.objects.filter(action=Action.TRIAL_CREATED).exists()


def test_running_the_purge_twice_changes_nothing_the_second_time(lic):
    for days in (450, 460, 470):
        _event(lic, Action.HEARTBEAT, days)
    _event(lic, Action.VALIDATED, 10)

    assert license_activity_purge(older_than_days=400) == 3
    before = list(LicenseEvent.objects.order_by("pk").values_list("pk", flat=True))
    assert license_activity_purge(older_than_days=400) == 0
    assert list(LicenseEvent.objects.order_by("pk").values_list("pk", flat=True)) == before


def test_the_purge_follows_the_retention_setting(lic, settings):
    settings.LICENSE_ACTIVITY_RETENTION_DAYS = 60
    _event(lic, Action.VALIDATED, 61)
    kept = _event(lic, Action.VALIDATED, 59)

    assert purge_old_activity.delay().get() == 1
    assert list(LicenseEvent.objects.filter(action=Action.VALIDATED).values_list("pk", flat=True)) == [kept.pk]


def test_the_statistics_still_count_recent_validations_after_the_purge(lic):
    _event(lic, Action.VALIDATED, 2)
    _event(lic, Action.VALIDATED, 401)

    license_activity_purge(older_than_days=settings.LICENSE_ACTIVITY_RETENTION_DAYS)

    assert sum(n for _, n in license_stats().validations_per_day) == 1


def test_a_retention_shorter_than_the_statistics_window_is_refused(settings):
    with pytest.raises(DomainError) as exc:
        license_activity_purge(older_than_days=7)
    assert exc.value.code == "RETENTION_TOO_SHORT"

    settings.LICENSE_ACTIVITY_RETENTION_DAYS = 7
    assert [e.id for e in checks.check_activity_retention(None)] == ["licenses.E001"]
    settings.LICENSE_ACTIVITY_RETENTION_DAYS = 400
    assert checks.check_activity_retention(None) == []


def test_deletes_run_in_batches_until_nothing_is_left(lic):
    for days in range(500, 507):
        _event(lic, Action.HEARTBEAT, days)
    _event(lic, Action.HEARTBEAT, 1)

    old = LicenseEvent.objects.filter(created_at__lt=timezone.now() - timedelta(days=400))
    assert purge_in_batches(old, batch_size=3) == 7
    assert LicenseEvent.objects.filter(action=Action.HEARTBEAT).count() == 1


def _message(key, *, status, sent_days_ago=None):
    sent_at = timezone.now() - timedelta(days=sent_days_ago) if sent_days_ago is not None else None
    return OutboundMessage.objects.create(
        channel="email", key=key, to="client@example.com", body="…", status=status, sent_at=sent_at
    )


def test_sent_messages_are_kept_90_days_by_default(settings):
    assert settings.OUTBOX_RETENTION_DAYS == 90
    _message("old", status=OutboundMessage.Status.SENT, sent_days_ago=91)
    _message("recent", status=OutboundMessage.Status.SENT, sent_days_ago=89)
    # Not sent yet: never purged, whatever its age.
    pending = _message("pending", status=OutboundMessage.Status.PENDING)
    OutboundMessage.objects.filter(pk=pending.pk).update(created_at=timezone.now() - timedelta(days=400))
    _message("failed", status=OutboundMessage.Status.FAILED)

    assert purge_old_outbound_messages.delay().get() == 1
    assert set(OutboundMessage.objects.values_list("key", flat=True)) == {"recent", "pending", "failed"}
    assert purge_old_outbound_messages.delay().get() == 0


def test_the_outbox_purge_follows_its_setting(settings):
    settings.OUTBOX_RETENTION_DAYS = 30
    _message("forty", status=OutboundMessage.Status.SENT, sent_days_ago=40)

    assert purge_old_outbound_messages.delay().get() == 1


def test_both_purges_are_nightly_beat_jobs():
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert isinstance(schedule["core.purge_old_outbound_messages"], crontab)
    assert isinstance(schedule["licenses.purge_old_activity"], crontab)


def test_messages_that_failed_for_good_are_purged_after_the_same_period():
    old = _message("failed-old", status=OutboundMessage.Status.FAILED)
    OutboundMessage.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=91))
    _message("failed-recent", status=OutboundMessage.Status.FAILED)
    retrying = _message("retrying-old", status=OutboundMessage.Status.RETRYING)
    OutboundMessage.objects.filter(pk=retrying.pk).update(created_at=timezone.now() - timedelta(days=91))

    assert purge_old_outbound_messages.delay().get() == 1
    assert set(OutboundMessage.objects.values_list("key", flat=True)) == {"failed-recent", "retrying-old"}
