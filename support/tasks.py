"""Celery entry points for support. Thin: the work and its idempotence live in services."""

from celery import shared_task
from django.db import OperationalError

from . import services


# Safe to run twice or to overlap a slow previous run: rows are claimed with SKIP
# LOCKED and a closed ticket no longer matches.
@shared_task(
    name="support.close_resolved",
    autoretry_for=(OperationalError,),
    retry_backoff=60,
    max_retries=3,
    time_limit=300,
    soft_time_limit=280,
)
def close_resolved() -> int:
    return services.close_resolved()
