"""Celery entry points for licenses. Thin: the work and its idempotence live in services."""

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from core import delivery

from . import notifications, recording, retention, webhooks


@shared_task(
    bind=True,
    name="licenses.deliver_webhook",
    # The attempt count on the WebhookDelivery row decides when to give up
    # (LICENSE_WEBHOOK_MAX_ATTEMPTS), not Celery's own retry counter.
    max_retries=None,
    # One attempt is bounded by LICENSE_WEBHOOK_TIMEOUT; these only stop a stuck worker,
    # whose claim's lease outlives them (core.delivery).
    time_limit=delivery.TASK_TIME_LIMIT,
    soft_time_limit=delivery.TASK_SOFT_TIME_LIMIT,
)
def deliver_webhook(self, delivery_id: int) -> str:
    outcome = webhooks.webhook_deliver(delivery_id=delivery_id)
    if outcome.retry_in is not None:
        # The failed attempt is already recorded on the row; the retry claims it again.
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


# The daily jobs can run twice (beat restart, manual run): every notice is claimed
# per license before it is sent. When the database is unavailable the run is retried;
# licenses already handled are skipped by the retry since their claim is recorded.
DAILY_JOB = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 60,
    "retry_backoff_max": 1800,
    "max_retries": 5,
    "time_limit": 900,
    "soft_time_limit": 840,
}


@shared_task(name="licenses.send_expiry_reminders", **DAILY_JOB)
def send_expiry_reminders() -> dict[str, int]:
    return notifications.license_expiry_reminders_send()


@shared_task(name="licenses.emit_expired", **DAILY_JOB)
def emit_expired() -> int:
    return notifications.licenses_expired_notify()


@shared_task(name="licenses.purge_old_activity", **DAILY_JOB)
def purge_old_activity() -> int:
    return retention.license_activity_purge(older_than_days=settings.LICENSE_ACTIVITY_RETENTION_DAYS)


@shared_task(name="licenses.requeue_stuck_webhooks", time_limit=120, soft_time_limit=100)
def requeue_stuck_webhooks() -> int:
    return webhooks.webhooks_requeue_stuck()


# Every few seconds (LICENSE_VALIDATION_FLUSH_SECONDS): idempotent, a failed run leaves its
# batch in Redis for the next one; expires so that runs never pile up behind a slow one.
@shared_task(name="licenses.flush_validations", time_limit=120, soft_time_limit=100, expires=60)
def flush_validations() -> dict:
    result = recording.validations_flush()
    return {"batches": result.batches, "written": result.written, "skipped": result.skipped, "failed": result.failed}
