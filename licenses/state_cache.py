"""Each process remembers the licenses it validated, and asks Redis, in the round trip
the validation makes anyway (licenses.hotpath), whether each one changed since.

Every license has a *token* in Redis: a random value replaced after every committed
change of the license (any save, and the few queryset updates of its fields). A process
keeps (token, state) per license; when the token Redis returns is the one it kept, the
state is current and no SELECT is needed; otherwise it reads the license from
PostgreSQL and keeps it under the token it got.

Why this is coherent: the token changes only after the change is committed, and a state
is kept only under the token read *before* it was selected. A validation racing a
revocation either read the old token (it keeps the state under that token, which the
revocation replaces right after: the next validation reads the database again) or the
new one (then its SELECT ran after the commit and saw the revocation). A license that has
no token yet (new, or Redis lost its keys) is never served from memory: it is read, and
a token is created for it (SET NX; kept only if that SET won, so a concurrent change is
never papered over).

If a token cannot be replaced (Redis unreachable at that moment), a process may serve
its old state for at most MAX_AGE seconds. While Redis is down, validations do not use
this cache at all.
"""

from __future__ import annotations

import logging
import time
import uuid

from django.core.cache import cache
from django.db import transaction

from core.cache import redis_client

from .selectors import LicenseState

logger = logging.getLogger(__name__)

MAX_AGE = 30  # seconds a remembered state is trusted at most
MAX_ENTRIES = 20_000
TOKEN_TTL = 30 * 24 * 3600  # an unused token expires; the license is then read and re-tokened

_states: dict[int, tuple[bytes, LicenseState, float]] = {}


def token_key(license_id: int) -> str:
    return cache.make_key(f"licenses:state-token:{license_id}")


def lookup(license_id: int, token: bytes | None) -> LicenseState | None:
    """The remembered state, if it is still the license's current one."""
    if token is None:
        return None
    entry = _states.get(license_id)
    if entry is None or entry[0] != token or time.monotonic() - entry[2] > MAX_AGE:
        return None
    return entry[1]


def remember(license_id: int, token: bytes | None, state: LicenseState) -> None:
    """Keep `state`, selected after `token` was read (None: the license had no token)."""
    if token is None:
        token = _create_token(license_id)
        if token is None:
            return
    if len(_states) >= MAX_ENTRIES:
        _states.clear()
    _states[license_id] = (token, state, time.monotonic())


def _create_token(license_id: int) -> bytes | None:
    client = redis_client()
    if client is None:
        return None
    token = uuid.uuid4().hex.encode()
    try:
        # NX: a change committed meanwhile already set a token; this state may predate it.
        created = client.set(token_key(license_id), token, nx=True, ex=TOKEN_TTL)
    except Exception as exc:
        logger.warning("license state token not created (Redis unavailable): %s", exc)
        return None
    return token if created else None


def license_changed(license_id: int) -> None:
    """Every process reads the license again at its next validation: the token is
    replaced once the current transaction commits (at once outside one). This process
    forgets it at once."""
    licenses_changed([license_id])


def licenses_changed(license_ids: list[int]) -> None:
    """license_changed() for several licenses: one pipelined write of their tokens."""
    for license_id in license_ids:
        _states.pop(license_id, None)
    if license_ids:
        transaction.on_commit(lambda: _replace_tokens(license_ids), robust=True)


def _replace_tokens(license_ids: list[int]) -> None:
    for license_id in license_ids:
        _states.pop(license_id, None)
    client = redis_client()
    if client is None:
        return
    pipe = client.pipeline(transaction=False)
    for license_id in license_ids:
        pipe.set(token_key(license_id), uuid.uuid4().hex, ex=TOKEN_TTL)
    try:
        pipe.execute()
    except Exception as exc:
        logger.warning(
            "%s license(s) changed but their state tokens were not replaced (Redis unavailable; "
            "processes may keep the old state for up to %s s): %s",
            len(license_ids),
            MAX_AGE,
            exc,
        )


def forget_all() -> None:
    """This process's memory only (tests)."""
    _states.clear()


def on_license_saved(sender, instance, **kwargs) -> None:
    """post_save / post_delete receiver for License."""
    license_changed(instance.pk)
