import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import delivery
from .mail import BrandedEmail
from .models import OutboundMessage
from .retention import purge_in_batches
from .sms import backend_for

logger = logging.getLogger(__name__)


def message_queue(
    *,
    channel: str,
    to: str,
    body: str,
    key: str,
    subject: str = "",
    html_body: str = "",
    attachments: list[dict] | None = None,
) -> OutboundMessage:
    """Record a message in the outbox and deliver it after the current transaction commits.
    An e-mail's `html_body` is sent as the HTML alternative of its text `body`.

    Idempotent on `key`: queueing the same key twice keeps the first message.
    """
    message, created = OutboundMessage.objects.get_or_create(
        key=key,
        defaults={
            "channel": channel,
            "to": to,
            "subject": subject,
            "body": body,
            "html_body": html_body,
            "attachments": attachments or [],
        },
    )
    if created:
        from .tasks import deliver_message

        # Never enqueue inside the transaction: the worker could run before the row exists.
        # robust: the business change is committed by then, so a broker outage is logged,
        # not turned into an error page; messages_requeue_stuck() sends the row later.
        transaction.on_commit(lambda: deliver_message.delay(message.pk), robust=True)
    return message


def message_deliver(*, message_id: int) -> delivery.Outcome:
    """Make one attempt at sending a queued message and record its outcome on the row.

    core.delivery claims the row (two workers holding the same id cannot both send)
    with a lease, so a worker killed mid-send leaves a row the sweeper re-enqueues.
    Deliberately not atomic: the send happens outside any transaction, after the claim
    is committed.
    """
    message = delivery.claim(OutboundMessage, message_id)
    if message is None:
        status = delivery.current_status(OutboundMessage, message_id)
        logger.info("outbound message %s not claimed (status %s): skipped", message_id, status)
        return delivery.Outcome(sent=False, status=status)
    try:
        if message.channel == OutboundMessage.Channel.EMAIL:
            _email(message).send()
            backend_name, provider_id = settings.EMAIL_BACKEND.rsplit(".", 2)[-2], ""
        else:
            backend = backend_for(message.channel)
            provider_id = backend.send(to=message.to, body=message.body)
            backend_name = backend.name
    except Exception as exc:  # SMTP, provider, network: all a failed attempt, retried with backoff
        outcome = delivery.fail(message, error=f"{type(exc).__name__}: {exc}")
        logger.warning(
            "outbound message %s (attempt %s) failed: %s -> %s", message_id, message.attempts, exc, outcome.status
        )
        return outcome
    return delivery.succeed(message, sent_at=timezone.now(), backend=backend_name, provider_id=provider_id or "")


def _email(message: OutboundMessage) -> EmailMultiAlternatives:
    """The e-mail as stored: text and HTML, or text only for a row queued without HTML,
    with its attachments read from the storage."""
    if message.html_body:
        email = BrandedEmail(
            subject=message.subject,
            body=message.body,
            html=message.html_body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
        )
    else:
        email = EmailMultiAlternatives(message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.to])
    for attachment in message.attachments:
        with default_storage.open(attachment["path"], "rb") as file:
            email.attach(attachment["filename"], file.read(), attachment["mimetype"])
    return email


def messages_requeue_stuck(*, grace_minutes: int = 10) -> int:
    """Re-enqueue messages no worker is taking care of (see core.delivery.requeue_due)."""
    from .tasks import deliver_message

    return delivery.requeue_due(OutboundMessage, enqueue=deliver_message.delay, grace_minutes=grace_minutes)


def messages_retry_now(*, message_ids: list[int]) -> list[int]:
    """Staff's "retry now": failed or retrying messages get a fresh set of attempts and
    are sent after commit. Returns the ids that were reset."""
    from .tasks import deliver_message

    return delivery.retry_now(OutboundMessage, ids=message_ids, enqueue=deliver_message.delay)


def messages_purge(*, older_than_days: int) -> int:
    """Drop sent messages, and messages that failed for good, past their retention period
    (they hold personal data). The beat job passes OUTBOX_RETENTION_DAYS."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    done = Q(status=OutboundMessage.Status.SENT, sent_at__lt=cutoff) | Q(
        status=OutboundMessage.Status.FAILED, created_at__lt=cutoff
    )
    return purge_in_batches(OutboundMessage.objects.filter(done))
