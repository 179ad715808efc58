"""The outbox's retry design (core.delivery): leases, attempts, backoff, giving up, the
sweeper and the admin's "retry now". Webhooks share it (tests/licenses/test_webhooks.py)."""

import time
from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.utils import timezone

from core import delivery
from core.models import OutboundMessage
from core.services import message_deliver, message_queue, messages_requeue_stuck
from core.tasks import deliver_message
from tests.concurrency import run_at_once

pytestmark = pytest.mark.django_db

SENT_SMS: list[str] = []


class SlowSms:
    """Takes a while, so a second worker arrives while the first one is sending."""

    name = "slow"

    def send(self, *, to, body):
        time.sleep(0.3)
        SENT_SMS.append(to)
        return "provider-1"


class BrokenSms:
    name = "broken"

    def send(self, *, to, body):
        raise ConnectionError("provider unreachable")


@pytest.fixture(autouse=True)
def _reset_sent():
    SENT_SMS.clear()


def queue_sms(key="m1") -> OutboundMessage:
    # Outside a transaction-capturing context the on_commit delivery never runs: the row
    # stays pending, as if the broker had lost the task.
    return message_queue(channel="sms", to="+221770000000", body="Votre devis est prêt", key=key)


def make_due(message):
    OutboundMessage.objects.filter(pk=message.pk, status="retrying").update(next_attempt_at=timezone.now())


def age(message, **delta):
    OutboundMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(**delta))


def test_backoff_doubles_from_30_seconds_and_is_capped():
    assert [delivery.backoff_seconds(n) for n in range(1, 6)] == [30, 60, 120, 240, 480]
    assert delivery.backoff_seconds(50) == delivery.BACKOFF_MAX_SECONDS == 6 * 3600


@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_the_same_message_send_it_once(settings):
    settings.SMS_BACKEND = "tests.test_outbox.SlowSms"
    # Created directly: in autocommit message_queue() would deliver it at once.
    message = OutboundMessage.objects.create(channel="sms", to="+221770000000", body="Votre devis", key="m1")
    outcomes = run_at_once(*[lambda: message_deliver(message_id=message.pk)] * 2)

    assert sorted(o.sent for o in outcomes) == [False, True]
    assert SENT_SMS == ["+221770000000"]
    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 1 and message.provider_id == "provider-1"


def test_a_message_being_sent_is_not_taken_by_another_worker_until_its_lease_expires():
    message = queue_sms()
    # A worker claims the message and dies before recording anything.
    assert delivery.claim(OutboundMessage, message.pk)
    message.refresh_from_db()
    assert message.status == "sending" and message.lease_until > timezone.now() + timedelta(seconds=60)

    assert message_deliver(message_id=message.pk).sent is False
    assert mail.outbox == [] and message.attempts == 1

    OutboundMessage.objects.filter(pk=message.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert message_deliver(message_id=message.pk).sent is True

    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 2 and message.lease_until is None


def test_a_worker_that_outlived_its_lease_cannot_overwrite_the_outcome_of_the_takeover(settings):
    message = queue_sms()
    late = delivery.claim(OutboundMessage, message.pk)
    OutboundMessage.objects.filter(pk=message.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert message_deliver(message_id=message.pk).sent  # the takeover sends it

    # The first worker finally reports a failure for its (stale) attempt.
    outcome = delivery.fail(late, error="TimeoutError: late")

    assert outcome.status == "sent" and outcome.retry_in is None
    message.refresh_from_db()
    assert message.status == "sent" and message.last_error == ""


def test_a_message_gives_up_after_the_maximum_attempts_and_is_not_retried(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.SMS_BACKEND = "tests.test_outbox.BrokenSms"
    message = queue_sms()

    outcomes = []
    for _ in range(3):
        outcomes.append(message_deliver(message_id=message.pk))
        make_due(message)

    assert [o.status for o in outcomes] == ["retrying", "retrying", "failed"]
    assert [o.retry_in for o in outcomes] == [30, 60, None]
    message.refresh_from_db()
    assert message.status == "failed" and message.attempts == 3 and message.next_attempt_at is None
    assert message.last_error == "ConnectionError: provider unreachable"

    # Final: neither the service, the task nor the sweeper tries again.
    settings.SMS_BACKEND = "core.sms.OutboxBackend"
    assert message_deliver(message_id=message.pk).sent is False
    assert deliver_message.apply(args=[message.pk]).get() == "failed"
    age(message, hours=2)
    assert messages_requeue_stuck() == 0
    message.refresh_from_db()
    assert message.status == "failed" and message.attempts == 3


def test_the_task_retries_with_backoff_until_it_gives_up(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    settings.SMS_BACKEND = "tests.test_outbox.BrokenSms"
    message = queue_sms()

    with pytest.raises(Retry) as retry:
        deliver_message.apply(args=[message.pk])
    assert retry.value.when == 30

    make_due(message)
    assert deliver_message.apply(args=[message.pk]).get() == "failed"


def test_a_retry_is_not_sent_before_it_is_due(settings):
    settings.SMS_BACKEND = "tests.test_outbox.BrokenSms"
    message = queue_sms()
    message_deliver(message_id=message.pk)
    settings.SMS_BACKEND = "core.sms.OutboxBackend"

    assert message_deliver(message_id=message.pk).sent is False

    make_due(message)
    assert message_deliver(message_id=message.pk).sent is True


def test_the_sweeper_resends_a_dead_workers_message_and_fails_one_without_attempts_left(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    expired = timezone.now() - timedelta(seconds=1)
    # Died on its first attempt: one attempt left.
    first = queue_sms("first")
    delivery.claim(OutboundMessage, first.pk)
    # Died on its last attempt: nothing left to try.
    last = queue_sms("last")
    OutboundMessage.objects.filter(pk=last.pk).update(attempts=1)
    delivery.claim(OutboundMessage, last.pk)
    OutboundMessage.objects.filter(status="sending").update(lease_until=expired)

    assert messages_requeue_stuck() == 1

    first.refresh_from_db()
    last.refresh_from_db()
    assert first.status == "sent" and first.attempts == 2
    assert last.status == "failed" and last.last_error == "lease_expired" and last.attempts == 2
    assert messages_requeue_stuck() == 0


def test_the_sweeper_sends_a_retry_whose_task_was_lost(settings):
    settings.SMS_BACKEND = "tests.test_outbox.BrokenSms"
    message = queue_sms()
    message_deliver(message_id=message.pk)
    settings.SMS_BACKEND = "core.sms.OutboxBackend"
    assert messages_requeue_stuck() == 0  # its own retry is still scheduled

    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=11))
    assert messages_requeue_stuck() == 1

    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 2


def test_failed_messages_show_in_admin_and_retry_now_sends_them(
    staff_client, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    settings.SMS_BACKEND = "tests.test_outbox.BrokenSms"
    failed = queue_sms("failed")
    message_deliver(message_id=failed.pk)
    sent = message_queue(channel="email", to="a@example.com", subject="s", body="b", key="sent")
    message_deliver(message_id=sent.pk)
    settings.SMS_BACKEND = "core.sms.OutboxBackend"

    html = staff_client.get("/admin/core/outboundmessage/?status__exact=failed").content.decode()
    assert "+221770000000" in html and "Réessayer maintenant" in html and "provider unreachable" in html

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/admin/core/outboundmessage/",
            {"action": "retry_now", "_selected_action": [failed.pk, sent.pk]},
            follow=True,
        )

    assert response.status_code == 200
    page = response.content.decode()
    assert "1 message remis en file d&#x27;envoi." in page and "1 message ignoré" in page
    failed.refresh_from_db()
    assert failed.status == "sent" and failed.attempts == 1
    assert len(mail.outbox) == 1  # the e-mail that was already sent is not sent again
    assert LogEntry.objects.filter(object_id=str(failed.pk), user=staff_client.user).exists()


def test_retry_now_needs_the_change_permission(client, django_user_model):
    viewer = django_user_model.objects.create_user(username="viewer", password="pw-viewer-123", is_staff=True)
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_outboundmessage"))
    client.force_login(viewer)

    html = client.get("/admin/core/outboundmessage/").content.decode()

    assert "Réessayer maintenant" not in html
