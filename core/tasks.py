from celery import shared_task

from . import delivery, services


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
    return services.messages_purge()


@shared_task(name="core.requeue_stuck_messages", time_limit=120, soft_time_limit=100)
def requeue_stuck_messages() -> int:
    return services.messages_requeue_stuck()
