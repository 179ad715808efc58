"""One Redis round trip per online validation: the rate limit, the validation record and
the license's state token (licenses.state_cache), in one Lua script.

Before: django-ratelimit's ADD + INCR, then a committed INSERT/UPDATE, then a SELECT
(and Django's SELECT 1 health check): five round trips, two of them waiting for a WAL
flush. Now: this script, and a SELECT only when the license changed since this process
last read it. The limit is the platform's one limiter (core.limits: same key, window,
limit, refusal and fail-open rule); the record goes to the buffer licenses.recording
flushes; a request over its limit is refused before anything is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core import limits
from core.cache import redis_client, run_script
from core.origin import Origin

from . import recording, state_cache

# KEYS: counter, buffer, state token. ARGV: counter expiry, limit (-1: none), record ('': none).
_HIT = """
local limit = tonumber(ARGV[2])
if limit >= 0 then
    local n = redis.call('INCR', KEYS[1])
    if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
    if n > limit then return {n} end
end
if ARGV[3] ~= '' then redis.call('RPUSH', KEYS[2], ARGV[3]) end
return {0, redis.call('GET', KEYS[3])}
"""


@dataclass(frozen=True)
class Hit:
    recorded: bool  # the validation record is in the buffer
    token: bytes | None  # the license's state token (None: it has none yet)
    fresh: bool  # the token was read: state_cache may answer (False when Redis failed)


def validation_hit(
    *, counter: limits.Counter | None, license_id: int, machine_id: str, at: datetime, origin: Origin
) -> Hit:
    """Count the request against its limit (RateLimited beyond it), buffer its record,
    and read the license's state token; fail open when Redis cannot be reached."""
    client = redis_client()
    if client is None:  # the demo's in-process cache: its own counting, records written at once
        limits.enforce_counter(counter)
        return Hit(recorded=False, token=None, fresh=False)
    buffered = recording.buffered()
    record = recording.encode(license_id=license_id, machine_id=machine_id, at=at, origin=origin) if buffered else ""
    keys = [counter.redis_key if counter else "-", recording.buffer_key(), state_cache.token_key(license_id)]
    args = [counter.expiry if counter else 0, counter.limit if counter else -1, record]
    try:
        reply = run_script(client, _HIT, keys=keys, args=args)
    except Exception as exc:  # Redis down: no limit, the record written at once, the state read
        limits.unavailable(exc, counter)
        return Hit(recorded=False, token=None, fresh=False)
    if len(reply) == 1:
        raise limits.refusal(counter)
    return Hit(recorded=bool(record), token=reply[1], fresh=True)
