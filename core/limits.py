"""Rate limits: django-ratelimit's counters in the shared cache (Redis), one way for
every door.

`enforce()` counts a request and refuses beyond the rate; `check()` + `count()` split
that for limits that count only some outcomes (failed lookups, successful form
submissions): check without counting first, count once the outcome is known.
A refusal is `core.errors.RateLimited` with the exact wait; each door maps it once:
`core.views.ratelimited` (styled 429 page, or the tracking JSON envelope), the
public forms' re-rendered form, the license API's envelope.

Rates are django-ratelimit's "N/[k]s|m|h|d" ("5/h", "100/10m"). Counters are fixed
windows: django-ratelimit shifts each key's window by a per-key jitter (see
`django_ratelimit.core._get_window`) so that all keys do not reset at the same second.
"""

from __future__ import annotations

from math import ceil

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_ratelimit.core import get_usage

from .errors import RateLimited
from .http import client_ip_key


def retry_after(usage: dict) -> int:
    """Seconds until the window of `usage` ends.

    `_get_window()` returns the window's last second w: every timestamp t with
    w - period < t <= w counts in it, and get_usage's time_left is w - int(now). The
    next window starts at second w + 1, that is time_left + 1 seconds from now
    (rounded up). time_left is -1 when the cache could not be read (fail closed).
    """
    return max(1, usage["time_left"] + 1)


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


def _usage(request: HttpRequest, *, group: str, rate: str, ident: str | None, increment: bool) -> dict | None:
    value = client_ip_key(request) if ident is None else ident
    # None when RATELIMIT_ENABLE is False.
    return get_usage(request, group=group, key=lambda _group, _request: value, rate=rate, increment=increment)


def _refuse(usage: dict, message: str | None) -> RateLimited:
    seconds = retry_after(usage)
    if message is None:
        message = _("Trop de tentatives depuis votre adresse. Réessayez dans %(wait)s.")
    return RateLimited(message % {"wait": wait_text(seconds)}, retry_after=seconds)


def enforce(
    request: HttpRequest, *, group: str, rate: str, ident: str | None = None, message: str | None = None
) -> None:
    """Count this request under `group` for `ident` (default: the client IP, IPv6 per
    /64) and raise RateLimited once there are more than the rate allows.

    `message` may contain %(wait)s, replaced by the translated remaining wait."""
    usage = _usage(request, group=group, rate=rate, ident=ident, increment=True)
    if usage is not None and usage["should_limit"]:
        raise _refuse(usage, message)


def check(request: HttpRequest, *, group: str, rate: str, ident: str | None = None, message: str | None = None) -> None:
    """Raise RateLimited if `ident` has already used up the rate, without counting."""
    usage = _usage(request, group=group, rate=rate, ident=ident, increment=False)
    # Nothing is added here, so the count already at the limit means the next one is refused.
    if usage is not None and (usage["should_limit"] or usage["count"] >= usage["limit"]):
        raise _refuse(usage, message)


def count(request: HttpRequest, *, group: str, rate: str, ident: str | None = None) -> None:
    """Count one outcome (a success, a failure) for `ident`; never refuses."""
    _usage(request, group=group, rate=rate, ident=ident, increment=True)


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
