"""Celery entry points for rentals. Thin: the work and its idempotence live in services."""

from celery import shared_task
from django.db import OperationalError

from . import services


# Safe to run twice or to overlap a slow previous run: rows are claimed with
# SKIP LOCKED and an expired rental no longer matches.
@shared_task(
    name="rentals.expire_holds",
    autoretry_for=(OperationalError,),
    retry_backoff=60,
    max_retries=3,
    time_limit=300,
    soft_time_limit=280,
)
def expire_holds() -> int:
    return services.rentals_expire_holds()
