"""Celery entry points for staff accounts. Thin: the work lives in services."""

from celery import shared_task

from . import services


@shared_task(name="accounts.purge_expired_refresh_tokens", time_limit=300, soft_time_limit=240)
def purge_expired_refresh_tokens() -> int:
    return services.staff_tokens_purge_expired()
