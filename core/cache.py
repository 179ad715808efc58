"""Django's Redis cache, keeping one redis.Redis client per connection pool.

The stock client builds a new `redis.Redis` object (and its ~170 response callbacks)
on every cache call: about 0.3 ms each, twice per tracking request. A `redis.Redis`
object is thread-safe and only borrows connections from its pool, so reusing it is safe.

incr() is one round trip instead of two (EXISTS then INCRBY). incr_expiring() counts a
rate-limit hit in one round trip (INCR, and EXPIRE when the counter is new): core.limits
calls it on every counted request, where django-ratelimit's own path costs an ADD and
an INCR.

run_script() is how the platform runs a Lua script: on a connection each thread keeps
(the hot paths: the license validation, every rate-limit hit).
"""

import hashlib
import os
import threading

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis.exceptions import NoScriptError

# Same contract as Django's incr(): a missing key is an error, never created by INCRBY.
_INCR_EXISTING = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
return redis.call('INCRBY', KEYS[1], ARGV[1])
"""


# A counter that starts at 1 and expires `timeout` seconds after its first hit.
_INCR_EXPIRING = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def incr(self, key, delta):
        value = run_script(self.get_client(key, write=True), _INCR_EXISTING, keys=[key], args=[delta])
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value

    def incr_expiring(self, key, timeout: int) -> int:
        client = self.get_client(key, write=True)
        return int(run_script(client, _INCR_EXPIRING, keys=[key], args=[int(timeout)]))


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    def incr_expiring(self, key, timeout: int, version=None) -> int:
        """Count one hit on `key` (created at 1 with `timeout`), in one round trip."""
        return self._cache.incr_expiring(self.make_and_validate_key(key, version=version), timeout)

    def redis(self):
        """The redis.Redis client of this cache (writes), for structures the cache API
        does not offer (lists); keys through make_key() keep the cache's prefix."""
        return self._cache.get_client(write=True)


def redis_client(alias: str = "default"):
    """The redis.Redis client of cache `alias`, or None when that cache is not this Redis
    backend (the demo's in-process cache)."""
    backend = caches[alias]
    return backend.redis() if isinstance(backend, RedisCache) else None


# Per thread (a connection carries one command at a time): client id -> (client, connection, pid).
_direct = threading.local()
_SHAS: dict[str, str] = {}


def run_script(client, source: str, *, keys: list, args: list):
    """EVALSHA of the Lua script `source` on a connection this thread keeps for `client`
    (opened with the client's pool settings): redis-py's pool, retry wrapper and Script
    object cost about a quarter of a license validation's own Python. NOSCRIPT (Redis
    restarted, its script cache flushed) loads the script and runs it again. Any other
    failure closes the connection (the next call opens a new one) and is raised: the
    callers fail open."""
    sha = _SHAS.get(source)
    if sha is None:
        sha = _SHAS[source] = hashlib.sha1(source.encode()).hexdigest()  # noqa: S324 - Redis's script id
    entries = getattr(_direct, "entries", None)
    if entries is None:
        entries = _direct.entries = {}
    entry = entries.get(id(client))
    # The client is kept, so its id is never reused; a forked child (Celery's prefork pool)
    # opens its own connection and leaves the parent's socket alone.
    if entry is None or entry[0] is not client or entry[2] != os.getpid():
        entry = entries[id(client)] = (client, client.connection_pool.make_connection(), os.getpid())
    connection = entry[1]
    try:
        try:
            connection.send_command("EVALSHA", sha, len(keys), *keys, *args)
            return connection.read_response()
        except NoScriptError:
            connection.send_command("SCRIPT", "LOAD", source)
            connection.read_response()
            connection.send_command("EVALSHA", sha, len(keys), *keys, *args)
            return connection.read_response()
    except Exception:
        connection.disconnect()
        raise
