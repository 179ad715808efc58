from celery import shared_task
from django.conf import settings

from . import backups, services


@shared_task(
    name="core.deliver_message",
    autoretry_for=(Exception,),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=8,
    time_limit=60,
    soft_time_limit=50,
)
def deliver_message(message_id: int) -> bool:
    return services.message_deliver(message_id=message_id)


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
