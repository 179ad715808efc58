"""Celery tasks of the marketplace: thin, by id, each calling one job or service."""

from celery import shared_task
from django.db import OperationalError

from core.delivery import TASK_SOFT_TIME_LIMIT, TASK_TIME_LIMIT

from . import jobs, receipts

# The jobs are idempotent: a run lost to a deadlock or a dropped connection is run again.
RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": 30, "max_retries": 5}


@shared_task(name="leads.check_deposits", time_limit=300, soft_time_limit=280, **RETRY)
def check_deposits() -> dict:
    result = jobs.deposits_check()
    return {"alerted": result.alerted, "reset": result.reset, "paused_campaigns": result.paused_campaigns}


@shared_task(
    name="leads.send_deposit_alerts",
    time_limit=300,
    soft_time_limit=280,
    autoretry_for=(Exception,),
    retry_backoff=30,
    max_retries=8,
)
def send_deposit_alerts(alerts: list[list]) -> int:
    return jobs.deposit_alerts_send(alerts=alerts)


@shared_task(name="leads.remind_pending", time_limit=300, soft_time_limit=280, **RETRY)
def remind_pending() -> int:
    return jobs.leads_remind()


@shared_task(name="leads.expire_pending", time_limit=600, soft_time_limit=580, **RETRY)
def expire_pending() -> int:
    return jobs.leads_expire()


@shared_task(name="leads.daily_report", time_limit=300, soft_time_limit=280, **RETRY)
def daily_report() -> dict:
    figures = jobs.daily_report()
    return {key: str(value) if not isinstance(value, dict) else value for key, value in figures.items()}


@shared_task(
    name="leads.deliver_receipt",
    time_limit=TASK_TIME_LIMIT,
    soft_time_limit=TASK_SOFT_TIME_LIMIT,
    autoretry_for=(Exception,),
    retry_backoff=30,
    max_retries=8,
)
def deliver_receipt(receipt_id: int) -> str:
    return receipts.receipt_deliver(receipt_id=receipt_id).number
