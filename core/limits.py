"""Rate limits: django-ratelimit's counters in the shared cache (Redis), one way for
every door.

`enforce()` counts a request and refuses beyond the rate; `check()` + `count()` split
that for limits that count only some outcomes (failed lookups, successful form
submissions): check without counting first, count once the outcome is known;
`check_and_get()` checks and reads other cache keys in the same round trip (the
tracking pages: the throttle and the cached page in one MGET).
A refusal is `core.errors.RateLimited` with the exact wait; each door maps it once:
`core.views.ratelimited` (styled 429 page, or the tracking JSON envelope), the
public forms' re-rendered form, the license API's envelope.

Rates are django-ratelimit's "N/[k]s|m|h|d" ("5/h", "100/10m"). Counters are fixed
windows: django-ratelimit shifts each key's window by a per-key jitter (see
`django_ratelimit.core._get_window`) so that all keys do not reset at the same second.
The keys and windows are django-ratelimit's own (a `@ratelimit` decorator on the same
group and key shares the counter); the counting is one round trip (INCR, EXPIRE on the
first hit: `core.cache`), where django-ratelimit's get_usage() makes two (ADD, INCR).

When the cache cannot be reached, limits fail open: the request goes through and a
warning is logged (at most once a minute per process), so that a Redis outage never
turns the license server or the public forms into error pages.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import lru_cache
from math import ceil
from typing import Any

import django_ratelimit.core as ratelimit_core
from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_ratelimit import ALL

from .errors import RateLimited
from .http import client_ip_key
from .microcache import ABSENT, Microcache

logger = logging.getLogger(__name__)

# django-ratelimit's private helpers (version pinned in requirements.txt); a test checks
# that our keys are the ones its get_usage() uses.
_split_rate = ratelimit_core._split_rate
_get_window = ratelimit_core._get_window
_make_cache_key = ratelimit_core._make_cache_key

_WARN_EVERY_SECONDS = 60
_last_warning = 0.0


DEFAULT_MESSAGE = gettext_lazy("Trop de tentatives depuis votre adresse. Réessayez dans %(wait)s.")


@dataclass(frozen=True)
class Counter:
    """One client's counter for one limit in the current window, with what to say when
    it is used up (`message` may contain %(wait)s, the translated remaining wait; lazy text
    is translated only when a request is refused)."""

    group: str
    key: str  # django-ratelimit's cache key
    limit: int
    period: int
    window: int  # the window's last second (unix time)
    message: Any  # str or lazy text

    def time_left(self) -> int:
        # django-ratelimit's clock (tests stop it there).
        return self.window - int(ratelimit_core.time.time())

    @property
    def redis_key(self) -> str:
        """The key as stored in Redis (the cache's prefix and version)."""
        return _cache().make_key(self.key)

    @property
    def expiry(self) -> int:
        """Seconds a new counter lives: its window and django-ratelimit's margin."""
        return self.period + ratelimit_core.EXPIRATION_FUDGE


# A hash per request of every hot path (the tracking pages and JSON, validate); the same
# clients come back within a window: remembered per process (a pure function).
@lru_cache(maxsize=8192)
def _cache_key(group: str, window: int, rate: str, value: str) -> str:
    return _make_cache_key(group, window, rate, value, ALL)


def _cache():
    return caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]


def counter_for(
    request: HttpRequest, *, group: str, rate: str, ident: str | None = None, message: str | None = None
) -> Counter | None:
    """This client's counter for a limit (`ident`, default: the client IP, IPv6 per /64),
    or None when rate limits are off. Code that counts it in a Redis script of its own
    (one round trip for the limit and its own work: the license validation) raises
    `refusal()` beyond `counter.limit` and calls `unavailable()` when Redis fails."""
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return None
    value = client_ip_key(request) if ident is None else ident
    limit, period = _split_rate(rate)
    window = _get_window(value, period)
    return Counter(
        group=group,
        key=_cache_key(group, window, rate, value),
        limit=limit,
        period=period,
        window=window,
        # Not `message or ...`: the truth of lazy text translates it, at every request.
        message=DEFAULT_MESSAGE if message is None else message,
    )


def unavailable(exc: Exception, counter: Counter | None) -> None:
    """Fail open, and say so in the logs (at most once a minute per process)."""
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= _WARN_EVERY_SECONDS:
        _last_warning = now
        group = counter.group if counter else "?"
        logger.warning("rate limits not enforced (%s): the cache is unavailable: %s", group, exc)


def _hit(counter: Counter) -> int:
    cache = _cache()
    if hasattr(cache, "incr_expiring"):
        return cache.incr_expiring(counter.key, counter.expiry)
    # Another cache backend (the demo's in-process one): django-ratelimit's own way.
    if cache.add(counter.key, 1, counter.expiry):
        return 1
    return cache.incr(counter.key)


def retry_after(counter: Counter) -> int:
    """Seconds until the window of `counter` ends.

    `_get_window()` returns the window's last second w: every timestamp t with
    w - period < t <= w counts in it. The next window starts at second w + 1, that is
    w - int(now) + 1 seconds from now."""
    return max(1, counter.time_left() + 1)


def wait_text(seconds: int) -> str:
    """'45 secondes', '37 minutes', '2 heures et 5 minutes', translated.

    Rounded up to the minute beyond one minute, so it is never shorter than Retry-After."""
    if seconds < 60:
        return ngettext("%(n)d seconde", "%(n)d secondes", seconds) % {"n": seconds}
    hours, minutes = divmod(ceil(seconds / 60), 60)
    minutes_text = ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    if not hours:
        return minutes_text
    hours_text = ngettext("%(n)d heure", "%(n)d heures", hours) % {"n": hours}
    if not minutes:
        return hours_text
    return _("%(hours)s et %(minutes)s") % {"hours": hours_text, "minutes": minutes_text}


def refusal(counter: Counter) -> RateLimited:
    """The RateLimited for a counter over its limit (exact Retry-After, translated wait)."""
    seconds = retry_after(counter)
    return RateLimited(str(counter.message) % {"wait": wait_text(seconds)}, retry_after=seconds)


def enforce(
    request: HttpRequest, *, group: str, rate: str, ident: str | None = None, message: str | None = None
) -> None:
    """Count this request under `group` for `ident` (default: the client IP, IPv6 per
    /64) and raise RateLimited once there are more than the rate allows."""
    enforce_counter(counter_for(request, group=group, rate=rate, ident=ident, message=message))


def enforce_counter(counter: Counter | None) -> None:
    """enforce() for a counter already built (see counter_for())."""
    hits = _hit_or_none(counter)
    if hits is not None and hits > counter.limit:
        raise refusal(counter)


def _hit_or_none(counter: Counter | None) -> int | None:
    """The count after this hit; None when limits are off or Redis fails (fail open)."""
    if counter is None:
        return None
    try:
        return _hit(counter)
    except Exception as exc:  # Redis down or unreachable
        unavailable(exc, counter)
        return None


def check_and_get(
    request: HttpRequest,
    *,
    group: str,
    rate: str,
    keys: list[str],
    ident: str | None = None,
    message: str | None = None,
    local: Microcache | None = None,
) -> dict:
    """check(), and the values of the cache `keys` read in the same round trip (missing
    keys are absent from the result). Raises RateLimited as check() does. With `local`,
    the count and the values are read from that per-process copy while it is fresh, and
    kept there when read from Redis (core.microcache)."""
    counter = counter_for(request, group=group, rate=rate, ident=ident, message=message)
    wanted = [*keys, counter.key] if counter else list(keys)
    found = local.get_many(wanted) if local is not None else {}
    if len(found) < len(wanted):
        try:
            found = _cache().get_many(wanted)
        except Exception as exc:  # fail open, and nothing cached can be read either
            unavailable(exc, counter)
            return {}
        if counter is not None:
            found.setdefault(counter.key, 0)
        if local is not None:
            # Keys Redis does not have are copied as absent: a burst asks Redis once.
            local.set_many({key: found.get(key, ABSENT) for key in wanted})
    found = {key: value for key, value in found.items() if value is not ABSENT}
    # Nothing is added here, so the count already at the limit means the next one is refused.
    if counter is not None and found.pop(counter.key, 0) >= counter.limit:
        raise refusal(counter)
    return found


def check(request: HttpRequest, *, group: str, rate: str, ident: str | None = None, message: str | None = None) -> None:
    """Raise RateLimited if `ident` has already used up the rate, without counting."""
    check_and_get(request, group=group, rate=rate, keys=[], ident=ident, message=message)


def count(
    request: HttpRequest, *, group: str, rate: str, ident: str | None = None, local: Microcache | None = None
) -> None:
    """Count one outcome (a success, a failure) for `ident`; never refuses. With `local`,
    the new count replaces the per-process copy check_and_get() reads."""
    counter = counter_for(request, group=group, rate=rate, ident=ident)
    hits = _hit_or_none(counter)
    if hits is not None and local is not None:
        local.set_many({counter.key: hits})


# --- public request forms (revisions, rentals...) --------------------------------------
# Carrier-grade NAT puts many customers behind one IP (Morocco, West Africa), so the
# real limit is per contact and counts only successful submissions: a customer
# correcting typos is never blocked. The per-IP cap counts every attempt and only
# stops a flood. Both are shared by every public form.

PUBLIC_FORM_IP_GROUP = "public-form:ip"
PUBLIC_FORM_CONTACT_GROUP = "public-form:contact"


def _contacts(*, email: str, phone: str) -> list[str]:
    # Values cleaned by the form (core.forms.ClientFieldsMixin: one spelling per phone).
    return [f"email:{email.strip().lower()}", f"phone:{phone.strip()}"]


def public_form_attempt(request: HttpRequest) -> None:
    """Count one submission attempt from this IP (valid or not); refuse beyond the cap."""
    enforce(
        request,
        group=PUBLIC_FORM_IP_GROUP,
        rate=settings.PUBLIC_FORM_RATE_PER_IP,
        message=_(
            "Trop de demandes envoyées depuis votre connexion. Réessayez dans %(wait)s : "
            "ce que vous avez saisi est conservé."
        ),
    )


def public_form_check_contact(request: HttpRequest, *, email: str, phone: str) -> None:
    """Refuse when this e-mail or phone already sent the allowed number of requests."""
    for contact in _contacts(email=email, phone=phone):
        check(
            request,
            group=PUBLIC_FORM_CONTACT_GROUP,
            rate=settings.PUBLIC_FORM_RATE_PER_CONTACT,
            ident=contact,
            message=_(
                "Vous avez déjà envoyé plusieurs demandes avec cet e-mail ou ce téléphone. "
                "Réessayez dans %(wait)s : ce que vous avez saisi est conservé."
            ),
        )


def public_form_count_success(request: HttpRequest, *, email: str, phone: str) -> None:
    """Count one successful submission for this e-mail and this phone."""
    for contact in _contacts(email=email, phone=phone):
        count(request, group=PUBLIC_FORM_CONTACT_GROUP, rate=settings.PUBLIC_FORM_RATE_PER_CONTACT, ident=contact)
