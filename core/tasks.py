from celery import shared_task

from . import services


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
    return services.messages_purge()


@shared_task(name="core.requeue_stuck_messages", time_limit=120, soft_time_limit=100)
def requeue_stuck_messages() -> int:
    return services.messages_requeue_stuck()
