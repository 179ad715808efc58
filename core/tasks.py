from celery import shared_task
from django.conf import settings

from . import backups, delivery, services


@shared_task(
    bind=True,
    name="core.deliver_message",
    # The attempt count on the OutboundMessage row decides when to give up
    # (OUTBOX_MAX_ATTEMPTS, see core.delivery), not Celery's own retry counter.
    max_retries=None,
    time_limit=delivery.TASK_TIME_LIMIT,
    soft_time_limit=delivery.TASK_SOFT_TIME_LIMIT,
)
def deliver_message(self, message_id: int) -> str:
    outcome = services.message_deliver(message_id=message_id)
    if outcome.retry_in is not None:
        # The failed attempt is already recorded on the row; the retry claims it again.
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="core.purge_old_outbound_messages", time_limit=300, soft_time_limit=280)
def purge_old_outbound_messages() -> int:
    return services.messages_purge(older_than_days=settings.OUTBOX_RETENTION_DAYS)


# A dump of a large database takes minutes; a killed run leaves only a hidden temporary
# file (removed by the next rotation), never a partial backup. Not retried: a failure
# (disk full, wrong client version) needs a person, and the error is in the worker log.
@shared_task(name="core.backup_database", time_limit=4 * 3600, soft_time_limit=4 * 3600 - 60)
def backup_database() -> str:
    backup, _deleted = backups.backup_run()
    return str(backup.path)


@shared_task(name="core.requeue_stuck_messages", time_limit=120, soft_time_limit=100)
def requeue_stuck_messages() -> int:
    return services.messages_requeue_stuck()
