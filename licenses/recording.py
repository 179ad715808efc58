"""Validation records: every online validation keeps its activity row (time, IP, user
agent, app version) and stamps the license's `last_validated_at`, without a database
write per request.

Validation is the license server's hot path (every EasyFacture start, on every customer
machine). One committed write per call makes each request wait for a WAL flush, so a
validation is appended to a Redis list instead (one RPUSH), and the beat job
`licenses.flush_validations` writes what accumulated every LICENSE_VALIDATION_FLUSH_SECONDS
in bulk: one INSERT of many activity rows and one UPDATE of `last_validated_at` for all
the licenses touched. A crash loses at most what was not flushed yet (Redis keeps the
list in memory); trials, activations and revocations never go through here.

Exactly once: the flush moves up to BATCH_SIZE records from the buffer into a batch of
its own (one Lua script: nothing is lost between the two lists), then writes the batch
to PostgreSQL in one transaction together with a `ValidationFlush` row named after the
batch (unique). A flush that fails before commit leaves the batch in Redis for the next
run; one that fails after commit (Redis unreachable when deleting the batch) is found
again by the next run, whose `ValidationFlush` insert conflicts: the batch is then
dropped, not written twice. Two flushes at once take different records from the buffer
and the unique row decides for a batch both see.

Without buffering (LICENSE_VALIDATIONS_BUFFERED off: the demo, whose tasks run
in-process and where no beat runs) or when Redis cannot be reached, the record is
written at once (`write_now`), as one statement.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from core.cache import redis_client, run_script
from core.origin import Origin

from .models import License, LicenseEvent, ValidationFlush

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000  # records per INSERT (and per Lua unpack, well under its 8000 limit)
FLUSH_LOCK_ID = 7_345_001  # pg_advisory_xact_lock key of the flush (any constant of ours)
# Batches and their flush rows are kept this long: long enough to recognise a batch
# written by a run that died before deleting it.
FLUSH_ROWS_KEEP = timedelta(days=7)

# Take up to ARGV[1] records from the buffer into a new batch, and list the batch as
# open: atomically, so a record is always in exactly one place.
_TAKE_BATCH = """
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items == 0 then return 0 end
redis.call('LTRIM', KEYS[1], #items, -1)
redis.call('RPUSH', KEYS[2], unpack(items))
redis.call('SADD', KEYS[3], ARGV[2])
return #items
"""


def buffer_key() -> str:
    return cache.make_key("licenses:validations:buffer")


def _keys() -> tuple[str, str]:
    return buffer_key(), cache.make_key("licenses:validations:open-batches")


def _batch_key(batch_id: str) -> str:
    return cache.make_key(f"licenses:validations:batch:{batch_id}")


def buffered() -> bool:
    """Buffering needs Redis and PostgreSQL (the flush's SQL), and a beat to flush."""
    return settings.LICENSE_VALIDATIONS_BUFFERED and connection.vendor == "postgresql" and redis_client() is not None


# --- recording (the request) -------------------------------------------------------


def encode(*, license_id: int, machine_id: str, at: datetime, origin: Origin) -> str:
    """One buffered record (licenses.hotpath pushes it in the request's round trip). The
    machine id the key names: the flush writes only records of the license as it is
    (the answer was LICENSE_NOT_FOUND otherwise). Text PostgreSQL refuses (NUL) is
    dropped here, so that one record can never block its batch."""
    ua, version = (text.replace("\x00", "") for text in (origin.user_agent[:300], origin.app_version[:20]))
    return json.dumps([license_id, at.timestamp(), origin.ip, ua, version, machine_id], separators=(",", ":"))


_ONE_VALIDATION_SQL = """
WITH touched AS (
    UPDATE licenses_license SET last_validated_at = %s
    WHERE id = %s AND (last_validated_at IS NULL OR last_validated_at < %s)
)
INSERT INTO licenses_licenseevent
    (license_id, action, created_at, ip_address, user_agent, app_version, os_info, actor_id, details)
VALUES (%s, %s, %s, %s, %s, %s, '', NULL, '{}')
"""


def write_now(*, license_id: int, at: datetime, origin: Origin) -> None:
    """The record written at once, without the buffer (no beat, or Redis unreachable):
    both writes in one statement on PostgreSQL (one round trip, one commit)."""
    if connection.vendor != "postgresql":
        with transaction.atomic():
            License.objects.filter(pk=license_id).update(last_validated_at=at)
            LicenseEvent.objects.create(
                license_id=license_id,
                action=LicenseEvent.Action.VALIDATED,
                created_at=at,
                ip_address=origin.ip,
                user_agent=origin.user_agent[:300],
                app_version=origin.app_version[:20],
            )
        return
    values = [at, license_id, at, license_id, LicenseEvent.Action.VALIDATED, at, origin.ip]
    values += [origin.user_agent[:300], origin.app_version[:20]]
    with connection.cursor() as cursor:
        cursor.execute(_ONE_VALIDATION_SQL, values)


# --- flushing (the beat job) -------------------------------------------------------


@dataclass(frozen=True)
class FlushResult:
    batches: int = 0
    written: int = 0  # activity rows inserted
    skipped: int = 0  # records of batches already written by an earlier run
    failed: int = 0  # records of batches that could not be written (left for the next run)


def validations_flush(*, max_batches: int = 100) -> FlushResult:
    """Write the buffered validations to PostgreSQL (the beat job). Safe to run twice,
    or two at once: each record is written exactly once. Returns what it did."""
    client = redis_client()
    if client is None or connection.vendor != "postgresql":
        return FlushResult()
    buffer_key, open_key = _keys()
    batches = written = skipped = failed = 0
    # First the batches an interrupted run left behind, then new ones from the buffer.
    pending = [member.decode() for member in client.smembers(open_key)]
    while batches < max_batches:
        if pending:
            batch_id = pending.pop()
        else:
            batch_id = uuid.uuid4().hex
            if not run_script(
                client, _TAKE_BATCH, keys=[buffer_key, _batch_key(batch_id), open_key], args=[BATCH_SIZE, batch_id]
            ):
                break
        records = [json.loads(raw) for raw in client.lrange(_batch_key(batch_id), 0, -1)]
        try:
            wrote = _write_batch(batch_id=batch_id, records=records)
        except OperationalError:
            raise  # the database itself is unavailable: the whole run is retried later
        except Exception:
            # This batch stays open for the next run; the others are still written.
            logger.exception("validation batch %s not written (%s records)", batch_id, len(records))
            failed += len(records)
            batches += 1
            continue
        if wrote:
            written += len(records)
        else:
            skipped += len(records)
        # Only now: a failure above leaves the batch for the next run.
        client.pipeline(transaction=True).delete(_batch_key(batch_id)).srem(open_key, batch_id).execute()
        batches += 1
    _forget_old_flushes()
    result = FlushResult(batches=batches, written=written, skipped=skipped, failed=failed)
    if batches:
        logger.info("validations flushed: %s", result)
    return result


_INSERT_EVENTS_SQL = """
INSERT INTO licenses_licenseevent
    (license_id, action, created_at, ip_address, user_agent, app_version, os_info, actor_id, details)
SELECT v.license_id, %s, v.at, v.ip::inet, v.ua, v.version, '', NULL, '{}'
FROM unnest(%s::bigint[], %s::timestamptz[], %s::text[], %s::text[], %s::text[], %s::text[])
     AS v(license_id, at, ip, ua, version, machine_id)
JOIN licenses_license l ON l.id = v.license_id AND l.machine_id = v.machine_id
"""

# One UPDATE for every license of the batch, never moving a stamp backwards (a batch
# written late must not hide a later synchronous record).
_STAMP_SQL = """
UPDATE licenses_license l SET last_validated_at = v.at
FROM (SELECT license_id, machine_id, max(at) AS at
      FROM unnest(%s::bigint[], %s::timestamptz[], %s::text[]) AS u(license_id, at, machine_id)
      GROUP BY license_id, machine_id) v
WHERE l.id = v.license_id AND l.machine_id = v.machine_id
  AND (l.last_validated_at IS NULL OR l.last_validated_at < v.at)
"""


def _write_batch(*, batch_id: str, records: list[list]) -> bool:
    """Write one batch with its flush row, in one transaction. False if an earlier run
    already wrote it (its flush row exists)."""
    try:
        with transaction.atomic():
            # One flush writes at a time: the UPDATE locks many license rows, and two
            # flushes locking them in different orders would deadlock.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FLUSH_LOCK_ID])
            ValidationFlush.objects.create(batch_id=batch_id, records=len(records))
            if records:
                _insert(records)
    except IntegrityError:
        if ValidationFlush.objects.filter(batch_id=batch_id).exists():
            return False
        raise
    return True


def _insert(records: list[list]) -> None:
    ids = [int(r[0]) for r in records]
    at = [datetime.fromtimestamp(float(r[1]), tz=UTC) for r in records]
    ip, ua, version, machine = ([r[i] for r in records] for i in (2, 3, 4, 5))
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_EVENTS_SQL, [LicenseEvent.Action.VALIDATED, ids, at, ip, ua, version, machine])
        cursor.execute(_STAMP_SQL, [ids, at, machine])


def _forget_old_flushes() -> None:
    ValidationFlush.objects.filter(flushed_at__lt=timezone.now() - FLUSH_ROWS_KEEP).delete()


def validations_pending() -> int:
    """Records waiting in Redis to be written (the buffer and open batches)."""
    client = redis_client()
    if client is None:
        return 0
    buffer_key, open_key = _keys()
    waiting = client.llen(buffer_key)
    for member in client.smembers(open_key):
        waiting += client.llen(_batch_key(member.decode()))
    return waiting
