"""One retry design for everything the platform sends after commit (outbox messages,
license webhooks, and the next ones): claim with a lease, count attempts, back off
exponentially, give up after N attempts, and a sweeper that re-enqueues what no
worker is taking care of.

A row's life:

    pending ──claim──▶ sending ──succeed──▶ sent
                          │
                          └──fail──▶ retrying (next_attempt_at) ──claim──▶ sending ...
                                └──▶ failed (attempts exhausted, or a permanent error)

A claim is one conditional UPDATE, so two workers holding the same id (a Celery retry
racing a late original, the sweeper racing the on_commit enqueue) cannot both send:
the second waits for the first UPDATE's row lock, then its WHERE no longer matches.
The claim sets a lease (`lease_until`) longer than a delivery task may live; a row
still "sending" after its lease belongs to a dead worker and is claimed again.
`attempts` doubles as a fencing token: a worker reports its outcome only if the row
is still at the attempt it claimed, so a worker that outlived its lease cannot
overwrite the outcome of the attempt that took over.

The send itself happens outside any transaction (autocommit): the claim is visible to
other workers while the call is in flight, and no row lock is held during network I/O.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

# Every delivery task uses these limits; the lease outlives the hard limit, so a live
# worker never loses its claim and a killed one frees it soon after.
TASK_TIME_LIMIT = 90
TASK_SOFT_TIME_LIMIT = 75
LEASE_SECONDS = TASK_TIME_LIMIT + 30
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 6 * 3600
# A Celery retry scheduled for next_attempt_at may fire a moment early (clocks of two
# workers differ slightly): it still counts as due instead of waiting for the sweeper.
DUE_TOLERANCE = timedelta(seconds=5)
# last_error holds a short error class or message, never a remote response body.
ERROR_MAX_CHARS = 200


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    SENDING = "sending", _("Envoi en cours")
    RETRYING = "retrying", _("Nouvel essai prévu")
    SENT = "sent", _("Envoyé")
    FAILED = "failed", _("Échec définitif")


UNFINISHED = [DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.RETRYING]


class Deliverable(models.Model):
    """Fields of something sent after commit with retries. Subclasses name the setting
    holding their maximum number of attempts in MAX_ATTEMPTS_SETTING."""

    Status = DeliveryStatus
    MAX_ATTEMPTS_SETTING: str = ""

    status = models.CharField(
        _("statut"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    # When a "retrying" row is due.
    next_attempt_at = models.DateTimeField(_("prochain essai"), null=True, blank=True)
    # While "sending": when the worker's claim expires (a later claim means it died).
    lease_until = models.DateTimeField(_("réservé jusqu'au"), null=True, blank=True)
    last_error = models.CharField(_("dernière erreur"), max_length=ERROR_MAX_CHARS, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        abstract = True
        # The sweeper and the claim look only at unfinished rows, a small slice of the table.
        indexes = [
            models.Index(
                fields=["status", "next_attempt_at"],
                name="%(app_label)s_%(class)s_due",
                condition=Q(status__in=UNFINISHED),
            )
        ]


@dataclass(frozen=True)
class Outcome:
    """What one delivery call did. `retry_in` (seconds) is set when the caller should try again."""

    sent: bool
    status: str
    error: str = ""
    retry_in: int | None = None
    # The remote's HTTP status, for callers that speak HTTP (webhooks).
    status_code: int | None = None


def max_attempts(model: type[Deliverable]) -> int:
    return getattr(settings, model.MAX_ATTEMPTS_SETTING)


def backoff_seconds(attempt: int) -> int:
    """Delay after failed attempt number `attempt` (1-based): 30 s, 1 min, 2 min... capped at 6 h."""
    return min(BACKOFF_BASE_SECONDS * 2 ** max(attempt - 1, 0), BACKOFF_MAX_SECONDS)


def claim(model: type[Deliverable], pk: int) -> Deliverable | None:
    """Take row `pk` for one attempt, or return None if it is not due or another worker has it."""
    now = timezone.now()
    due = (
        Q(status=DeliveryStatus.PENDING)
        | Q(status=DeliveryStatus.RETRYING, next_attempt_at__lte=now + DUE_TOLERANCE)
        | Q(status=DeliveryStatus.SENDING, lease_until__lte=now)
    )
    claimed = model._default_manager.filter(due, pk=pk, attempts__lt=max_attempts(model)).update(
        status=DeliveryStatus.SENDING,
        attempts=F("attempts") + 1,
        lease_until=now + timedelta(seconds=LEASE_SECONDS),
        next_attempt_at=None,
    )
    if not claimed:
        return None
    return model._default_manager.get(pk=pk)


def _still_mine(row: Deliverable):
    # The fencing condition: the row is at the attempt this worker claimed.
    return type(row)._default_manager.filter(pk=row.pk, status=DeliveryStatus.SENDING, attempts=row.attempts)


def current_status(model: type[Deliverable], pk: int) -> str:
    return model._default_manager.filter(pk=pk).values_list("status", flat=True).first() or "missing"


def succeed(row: Deliverable, **fields) -> Outcome:
    """Record that the claimed attempt was delivered; `fields` are the model's own (sent_at...)."""
    updated = _still_mine(row).update(
        status=DeliveryStatus.SENT, lease_until=None, next_attempt_at=None, last_error="", **fields
    )
    if not updated:
        # Our lease ran out and another worker took the row over: it may be sent twice,
        # which receivers tolerate (they dedupe on the row's id); its outcome stands.
        logger.warning("%s %s delivered after its lease was taken over", type(row).__name__, row.pk)
    return Outcome(sent=True, status=DeliveryStatus.SENT)


def fail(row: Deliverable, *, error: str, permanent: bool = False, **fields) -> Outcome:
    """Record that the claimed attempt failed: retry later with backoff, or give up when
    the error is permanent or the attempts are exhausted."""
    error = error[:ERROR_MAX_CHARS]
    if permanent or row.attempts >= max_attempts(type(row)):
        status, retry_in, next_attempt_at = DeliveryStatus.FAILED, None, None
    else:
        retry_in = backoff_seconds(row.attempts)
        status, next_attempt_at = DeliveryStatus.RETRYING, timezone.now() + timedelta(seconds=retry_in)
    updated = _still_mine(row).update(
        status=status, next_attempt_at=next_attempt_at, lease_until=None, last_error=error, **fields
    )
    if not updated:
        logger.warning("%s %s failed after its lease was taken over: %s", type(row).__name__, row.pk, error)
        return Outcome(sent=False, status=current_status(type(row), row.pk), error=error)
    return Outcome(sent=False, status=status, error=error, retry_in=retry_in)


def requeue_due(model: type[Deliverable], *, enqueue: Callable[[int], object], grace_minutes: int = 10) -> int:
    """The sweeper, run by beat: re-enqueue the rows no worker is taking care of.

    - pending for more than `grace_minutes` (the enqueue after commit was lost: broker down);
    - retrying and due for more than `grace_minutes` (the task's own retry was lost);
    - sending with an expired lease (the worker died mid-attempt).
    A row without attempts left (its lease expired on the last one) is marked failed instead.
    Safe to run twice and to race the tasks: the claim lets one run send.
    """
    now = timezone.now()
    cutoff = now - timedelta(minutes=grace_minutes)
    rows = model._default_manager
    exhausted = rows.filter(attempts__gte=max_attempts(model))
    exhausted.filter(status=DeliveryStatus.SENDING, lease_until__lte=now).update(
        status=DeliveryStatus.FAILED, lease_until=None, last_error="lease_expired"
    )
    # Only after the maximum was lowered: a scheduled retry that may no longer be claimed.
    exhausted.filter(status=DeliveryStatus.RETRYING).update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    due = (
        Q(status=DeliveryStatus.PENDING, created_at__lte=cutoff)
        | Q(status=DeliveryStatus.RETRYING, next_attempt_at__lte=cutoff)
        | Q(status=DeliveryStatus.SENDING, lease_until__lte=now)
    )
    ids = list(rows.filter(due).order_by("pk").values_list("pk", flat=True)[:1000])
    for pk in ids:
        enqueue(pk)
    return len(ids)


@transaction.atomic
def retry_now(model: type[Deliverable], *, ids: Iterable[int], enqueue: Callable[[int], object]) -> list[int]:
    """Put failed or retrying rows back to pending with a fresh set of attempts and send
    them after commit. Rows being sent or already sent are left alone."""
    reset = list(
        model._default_manager.select_for_update()
        .filter(pk__in=list(ids), status__in=[DeliveryStatus.FAILED, DeliveryStatus.RETRYING])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    model._default_manager.filter(pk__in=reset).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=None, lease_until=None
    )
    for pk in reset:
        transaction.on_commit(lambda pk=pk: enqueue(pk), robust=True)
    return reset
