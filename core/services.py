from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import OutboundMessage
from .retention import purge_in_batches
from .sms import get_sms_backend


def message_queue(*, channel: str, to: str, body: str, key: str, subject: str = "") -> OutboundMessage:
    """Record a message in the outbox and deliver it after the current transaction commits.

    Idempotent on `key`: queueing the same key twice keeps the first message.
    """
    message, created = OutboundMessage.objects.get_or_create(
        key=key, defaults={"channel": channel, "to": to, "subject": subject, "body": body}
    )
    if created:
        from .tasks import deliver_message

        # Never enqueue inside the transaction: the worker could run before the row exists.
        # robust: the business change is committed by then, so a broker outage is logged,
        # not turned into an error page; messages_requeue_stuck() sends the row later.
        transaction.on_commit(lambda: deliver_message.delay(message.pk), robust=True)
    return message


def message_deliver(*, message_id: int) -> bool:
    """Send one queued message. Returns True if this call sent it.

    The conditional UPDATE claims the row, so two workers running the same task
    (a retry racing a late original) cannot both send. The send itself happens
    outside any transaction.
    """
    claimed = OutboundMessage.objects.filter(
        pk=message_id, status__in=[OutboundMessage.Status.PENDING, OutboundMessage.Status.FAILED]
    ).update(status=OutboundMessage.Status.SENDING, attempts=F("attempts") + 1)
    if not claimed:
        return False
    message = OutboundMessage.objects.get(pk=message_id)
    try:
        if message.channel == OutboundMessage.Channel.EMAIL:
            send_mail(message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.to])
            backend_name, provider_id = settings.EMAIL_BACKEND.rsplit(".", 2)[-2], ""
        else:
            backend = get_sms_backend()
            provider_id = backend.send(to=message.to, body=message.body)
            backend_name = backend.name
    except Exception as exc:
        OutboundMessage.objects.filter(pk=message_id).update(
            status=OutboundMessage.Status.FAILED, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    OutboundMessage.objects.filter(pk=message_id).update(
        status=OutboundMessage.Status.SENT,
        sent_at=timezone.now(),
        backend=backend_name,
        provider_id=provider_id or "",
        last_error="",
    )
    return True


def messages_requeue_stuck(*, grace_minutes: int = 10) -> int:
    """Re-enqueue messages no worker took (broker down at commit, worker killed).
    Safe to repeat: message_deliver() claims a row before sending."""
    from .tasks import deliver_message

    cutoff = timezone.now() - timedelta(minutes=grace_minutes)
    ids = list(
        OutboundMessage.objects.filter(
            status__in=[OutboundMessage.Status.PENDING, OutboundMessage.Status.FAILED], created_at__lte=cutoff
        ).values_list("pk", flat=True)[:1000]
    )
    for pk in ids:
        deliver_message.delay(pk)
    return len(ids)


def messages_purge(*, older_than_days: int) -> int:
    """Drop delivered messages past their retention period (they hold personal data).
    The beat job passes OUTBOX_RETENTION_DAYS."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    return purge_in_batches(OutboundMessage.objects.filter(status=OutboundMessage.Status.SENT, sent_at__lt=cutoff))
