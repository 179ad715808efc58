from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from core.models import OutboundMessage
from core.services import message_deliver, message_queue
from core.tasks import deliver_message
from revisions.services import revision_quote_send

from .factories import make_revision

pytestmark = pytest.mark.django_db


def test_nothing_is_sent_before_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message_queue(channel="email", to="a@example.com", subject="s", body="b", key="k1")
    assert len(callbacks) == 1
    assert mail.outbox == []
    callbacks[0]()
    assert len(mail.outbox) == 1


def test_rolled_back_transaction_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                message_queue(channel="email", to="a@example.com", subject="s", body="b", key="k2")
                raise RuntimeError("business error after queueing")
        except RuntimeError:
            pass
    assert callbacks == []
    assert mail.outbox == []
    assert not OutboundMessage.objects.exists()


def test_the_same_key_is_queued_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = message_queue(channel="email", to="a@example.com", subject="s", body="b", key="same")
        second = message_queue(channel="email", to="a@example.com", subject="s", body="b", key="same")
    assert first.pk == second.pk
    assert len(mail.outbox) == 1


def test_delivery_task_run_twice_sends_once():
    message = message_queue(channel="email", to="a@example.com", subject="s", body="b", key="k3")
    assert deliver_message.apply(args=[message.pk]).get() == "sent"
    # Not claimed a second time: the task answers the row's status and sends nothing.
    assert deliver_message.apply(args=[message.pk]).get() == "sent"
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 1 and message.sent_at


def test_failed_delivery_is_recorded_and_retried_later(settings):
    settings.SMS_BACKEND = "tests.test_notifications.BrokenSms"
    message = message_queue(channel="sms", to="+221770000000", body="b", key="k4")
    outcome = message_deliver(message_id=message.pk)
    assert not outcome.sent and outcome.retry_in == 30
    message.refresh_from_db()
    assert message.status == "retrying" and "ConnectionError" in message.last_error
    settings.SMS_BACKEND = "core.sms.OutboxBackend"
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert message_deliver(message_id=message.pk).sent is True
    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 2


class BrokenSms:
    name = "broken"

    def send(self, *, to, body):
        raise ConnectionError("provider unreachable")


def test_quote_notification_is_sent_once_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        revision = make_revision()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        revision_quote_send(revision=revision, diagnostic="Usure", amount=Decimal("99000"), notify=True)
    assert len(mail.outbox) == 1
    assert OutboundMessage.objects.filter(channel="sms", status="sent").count() == 1
    # Running every delivery again (a Celery retry, a duplicated message) sends nothing more.
    for message in OutboundMessage.objects.all():
        deliver_message.apply(args=[message.pk])
    assert len(mail.outbox) == 1


def test_outbox_is_visible_in_admin(staff_client):
    message_queue(channel="sms", to="+221770000000", body="Votre devis", key="k5")
    html = staff_client.get("/admin/core/outboundmessage/").content.decode()
    assert "+221770000000" in html


def test_a_message_whose_enqueue_was_lost_is_sent_by_the_sweeper():
    from datetime import timedelta

    from django.utils import timezone

    from core.services import messages_requeue_stuck

    message = message_queue(channel="email", to="a@example.com", subject="s", body="b", key="lost")
    # No on_commit ran (as if the broker was down when the transaction committed).
    assert messages_requeue_stuck() == 0  # too recent: a worker may still be on it
    OutboundMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=30))
    assert messages_requeue_stuck() == 1
    assert len(mail.outbox) == 1
    assert messages_requeue_stuck() == 0
