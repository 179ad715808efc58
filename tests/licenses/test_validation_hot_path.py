"""The validate hot path (issue 8): buffered records written exactly once, a state
remembered per process that a revocation or an extension replaces at once, one Redis
round trip, and the answer unchanged when Redis is down."""

import logging
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from core import limits
from licenses import recording, state_cache
from licenses.models import License, LicenseEvent, ValidationFlush
from licenses.selectors import license_stats
from licenses.services import license_extend, license_revoke
from tests.concurrency import run_at_once

from .conftest import MACHINE

DEAD_REDIS = {
    "default": {
        "BACKEND": "core.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/9",  # nothing listens there
        "KEY_PREFIX": "platform",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


@pytest.fixture
def buffered(settings):
    settings.LICENSE_VALIDATIONS_BUFFERED = True
    state_cache.forget_all()
    yield
    state_cache.forget_all()


def _key(api):
    return api.trial().json()["license_key"]


def _validate(api, key, machine=MACHINE, **extra):
    return api.post("/licenses/validate", {"machine_id": machine, "license_key": key}, **extra)


def _validations() -> int:
    return LicenseEvent.objects.filter(action=LicenseEvent.Action.VALIDATED).count()


# --- buffered records ------------------------------------------------------------------


def test_validations_wait_in_redis_and_are_written_once_by_the_flush(api, product, buffered):
    # given three validations, buffered
    key = _key(api)
    for _ in range(3):
        assert _validate(api, key, HTTP_USER_AGENT="EasyFacture/1.6.1").json()["valid"] is True
    assert _validations() == 0 and recording.validations_pending() == 3
    assert License.objects.get().last_validated_at is None
    # when the beat job flushes them
    result = recording.validations_flush()
    # then each became one activity row, with its address and client, and the stamp
    assert (result.batches, result.written, result.skipped) == (1, 3, 0)
    events = LicenseEvent.objects.filter(action=LicenseEvent.Action.VALIDATED)
    assert events.count() == 3
    assert {(e.ip_address, e.user_agent) for e in events} == {("10.0.0.1", "EasyFacture/1.6.1")}
    assert License.objects.get().last_validated_at == max(e.created_at for e in events)
    # and running it again writes nothing more
    assert recording.validations_flush().written == 0
    assert _validations() == 3 and recording.validations_pending() == 0


def test_a_failed_flush_is_retried_without_double_counting(api, product, buffered, monkeypatch):
    key = _key(api)
    for _ in range(4):
        _validate(api, key)
    # given a flush whose database write fails
    real_insert = recording._insert

    def broken(records):
        raise OperationalError("the database went away")

    monkeypatch.setattr(recording, "_insert", broken)
    with pytest.raises(OperationalError):
        recording.validations_flush()
    # then nothing was written and nothing was lost
    assert _validations() == 0 and recording.validations_pending() == 4
    # when the next run works
    monkeypatch.setattr(recording, "_insert", real_insert)
    assert recording.validations_flush().written == 4
    # then every validation is there, once
    assert _validations() == 4 and recording.validations_pending() == 0


def test_a_batch_written_by_a_run_that_died_before_forgetting_it_is_not_written_again(api, product, buffered):
    key = _key(api)
    for _ in range(2):
        _validate(api, key)
    # given a run that moved a batch and wrote it, then died before deleting it from Redis
    client = recording.redis_client()
    buffer_key, open_key = recording._keys()
    take = client.register_script(recording._TAKE_BATCH)
    take(keys=[buffer_key, recording._batch_key("dead-run"), open_key], args=[recording.BATCH_SIZE, "dead-run"])
    records = [recording.json.loads(raw) for raw in client.lrange(recording._batch_key("dead-run"), 0, -1)]
    assert recording._write_batch(batch_id="dead-run", records=records) is True
    assert _validations() == 2
    # when the next run finds that batch still open
    result = recording.validations_flush()
    # then it recognises it by its flush row and drops it
    assert (result.written, result.skipped) == (0, 2)
    assert _validations() == 2 and recording.validations_pending() == 0
    assert ValidationFlush.objects.filter(batch_id="dead-run").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_flushes_at_once_write_every_validation_exactly_once(api, product, settings):
    settings.LICENSE_VALIDATIONS_BUFFERED = True
    key = _key(api)
    for _ in range(7):
        _validate(api, key)
    results = run_at_once(recording.validations_flush, recording.validations_flush)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(r.written for r in results) == 7
    assert _validations() == 7 and recording.validations_pending() == 0


def test_statistics_count_buffered_validations_once_flushed(api, product, buffered):
    key = _key(api)
    for _ in range(5):
        _validate(api, key)
    before = sum(n for _day, n in license_stats().validations_per_day)
    recording.validations_flush()
    assert sum(n for _day, n in license_stats().validations_per_day) == before + 5


def test_refused_validations_are_recorded_too(api, product, buffered):
    # a mismatch is a validation attempt of that license (as when records were written at once)
    key = _key(api)
    assert _validate(api, key, machine="f" * 32).json()["error"] == "MACHINE_MISMATCH"
    recording.validations_flush()
    assert _validations() == 1


# --- the state remembered per process ----------------------------------------------------


def test_a_revocation_counts_at_once(api, product, buffered):
    key = _key(api)
    assert _validate(api, key).json()["valid"] is True  # the state is now remembered
    license_revoke(license=License.objects.get(), reason="chargeback")
    assert _validate(api, key).json()["error"] == "LICENSE_REVOKED"


def test_an_extension_counts_at_once(api, product, buffered):
    key = _key(api)
    first = _validate(api, key).json()
    license_extend(license=License.objects.get(), days=30)
    second = _validate(api, key).json()
    assert second["days_remaining"] == first["days_remaining"] + 30


def test_a_queryset_update_of_the_expiry_counts_at_once(api, product, buffered):
    key = _key(api)
    assert _validate(api, key).json()["valid"] is True
    License.objects.update(expires_at=timezone.now() - timedelta(days=1))
    assert _validate(api, key).json()["error"] == "LICENSE_EXPIRED"


@pytest.mark.django_db(transaction=True)
def test_another_process_reads_the_license_again_after_a_revocation(api, product, settings):
    settings.LICENSE_VALIDATIONS_BUFFERED = True
    state_cache.forget_all()
    key = _key(api)
    assert _validate(api, key).json()["valid"] is True
    lic = License.objects.get()
    # given another process, which remembers the state it read before the revocation
    other_process_memory = dict(state_cache._states)
    license_revoke(license=lic, reason="chargeback")  # committed: the token is replaced
    state_cache._states.update(other_process_memory)
    # then that process sees a new token, reads the license again and answers revoked
    assert _validate(api, key).json()["error"] == "LICENSE_REVOKED"
    state_cache.forget_all()


def test_a_remembered_state_needs_no_query_and_one_redis_round_trip(api, product, buffered, django_assert_num_queries):
    key = _key(api)
    with django_assert_num_queries(1):  # the state, read once
        assert _validate(api, key).json()["valid"] is True
    client = recording.redis_client()

    def served() -> dict[str, int]:  # commands the Redis server ran, by name (INFO aside)
        return {name: stats["calls"] for name, stats in client.info("commandstats").items() if name != "cmdstat_info"}

    before = served()
    with django_assert_num_queries(0):
        assert _validate(api, key).json()["valid"] is True
    after = served()
    ran = {name[len("cmdstat_") :]: calls - before.get(name, 0) for name, calls in after.items()}
    # one EVALSHA, and what its script ran: the limit, the record and the state token together
    assert {name: n for name, n in ran.items() if n} == {"evalsha": 1, "incr": 1, "rpush": 1, "get": 1}


def test_without_buffering_a_validation_is_one_write_and_one_read(api, product, django_assert_num_queries):
    state_cache.forget_all()
    key = _key(api)
    with django_assert_num_queries(2):  # the state, and the record written at once
        _validate(api, key)
    with django_assert_num_queries(1):  # the state remembered: the record only
        _validate(api, key)
    assert _validations() == 2


# --- Redis down ----------------------------------------------------------------------------


def test_validate_still_answers_when_redis_is_down(api, product, settings, caplog, client, monkeypatch):
    settings.LICENSE_VALIDATIONS_BUFFERED = True
    monkeypatch.setattr(limits, "_last_warning", 0.0)  # the warning is logged once a minute
    key = _key(api)
    settings.CACHES = DEAD_REDIS
    with caplog.at_level(logging.WARNING):
        response = _validate(api, key)
    # the answer is the same, the limit failed open with a warning, the record was written at once
    assert response.status_code == 200 and response.json()["valid"] is True
    assert any("rate limits not enforced" in r.getMessage() for r in caplog.records)
    assert _validations() == 1
    # and the health check says which part is down
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json()["cache"] == "error" and health.json()["database"] == "ok"


def test_a_batch_that_cannot_be_written_does_not_hold_the_others_back(api, product, buffered, monkeypatch):
    key = _key(api)
    _validate(api, key)
    real_write = recording._write_batch
    calls = []

    def first_fails(*, batch_id, records):
        calls.append(batch_id)
        if len(calls) == 1:
            raise ValueError("a record the database refuses")
        return real_write(batch_id=batch_id, records=records)

    monkeypatch.setattr(recording, "_write_batch", first_fails)
    recording.validations_flush()  # the only batch fails: left open, logged
    _validate(api, key)
    result = recording.validations_flush()  # the failed one again (now fine), and the new one
    assert result.written == 2 and _validations() == 2


def test_a_record_for_a_license_that_changed_machine_is_not_written(api, product, buffered):
    key = _key(api)
    _validate(api, key)
    License.objects.update(machine_id="e" * 32)
    recording.validations_flush()
    assert _validations() == 0


def test_the_answers_are_written_as_jsonresponse_writes_them(api, client, product):
    """Byte for byte: bench/post_json.lua and the FastAPI peer's compare.sh look for
    `"valid": true` in the body; the tracking JSON is what json.dumps wrote before."""
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    from tests.factories import make_quoted_revision

    body = api.post("/licenses/validate", {"machine_id": MACHINE, "license_key": _key(api)}).content
    assert b'"success": true, "valid": true, "license_type": "trial"' in body
    assert body == json.dumps(json.loads(body), cls=DjangoJSONEncoder).encode()
    number = make_quoted_revision().tracking.number
    tracked = client.get(f"/api/tracking/{number}").content
    assert tracked == json.dumps(json.loads(tracked), cls=DjangoJSONEncoder).encode()
    assert b'"status_label": "Devis envoy\\u00e9"' in tracked
