"""Staff API token actions: log in, refresh (rotate), revoke, purge. The token endpoints,
the deactivation hook and the daily purge all go through these functions."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from core.retention import purge_in_batches

from . import tokens
from .errors import INVALID_CREDENTIALS, AuthError
from .models import StaffRefreshToken
from .permissions import has_api_access

logger = logging.getLogger(__name__)

Reason = StaffRefreshToken.RevokedReason


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret


def _issue(*, user, family: uuid.UUID, now: datetime) -> TokenPair:
    """A new access token and a new stored refresh token in session `family`."""
    refresh = StaffRefreshToken.objects.create(
        jti=uuid.uuid4(),
        family=family,
        user=user,
        issued_at=now,
        expires_at=now + timedelta(seconds=settings.JWT_REFRESH_SECONDS),
    )
    access_expires_at = now + timedelta(seconds=settings.JWT_ACCESS_SECONDS)
    return TokenPair(
        access_token=tokens.encode(
            user=user, typ=tokens.ACCESS, jti=uuid.uuid4(), family=family, issued_at=now, expires_at=access_expires_at
        ),
        refresh_token=tokens.encode(
            user=user,
            typ=tokens.REFRESH,
            jti=refresh.jti,
            family=family,
            issued_at=now,
            expires_at=refresh.expires_at,
        ),
        expires_in=settings.JWT_ACCESS_SECONDS,
    )


def staff_token_login(*, request: HttpRequest, username: str, password: str) -> TokenPair:
    """A new session for an active staff user holding at least one API permission."""
    user = authenticate(request, username=username, password=password)
    if not has_api_access(user):
        raise AuthError(INVALID_CREDENTIALS, _("Identifiants invalides ou droits insuffisants."))
    return _issue(user=user, family=uuid.uuid4(), now=timezone.now())


def refusal_reason(user, claims: tokens.Claims) -> str | None:
    """Why the tokens of `claims` no longer stand for `user` (None: they still do)."""
    if user is None or not user.is_active:
        return Reason.DEACTIVATED
    if not tokens.fingerprint_matches(user, claims.fingerprint):
        return Reason.PASSWORD_CHANGED
    if not has_api_access(user):
        return Reason.ACCESS_REMOVED
    return None


def staff_token_refresh(*, refresh_token: str) -> TokenPair:
    """Spend `refresh_token` and return the session's next pair.

    A token already spent, presented again, was copied (by an attacker or from a
    client's leaked storage): the whole session is revoked, including the pair issued
    when it was spent, and the caller gets INVALID_TOKEN.
    """
    claims = tokens.decode(refresh_token, typ=tokens.REFRESH)
    user = get_user_model().objects.filter(pk=claims.user_pk).first()
    reason = refusal_reason(user, claims)
    if reason is not None:
        staff_token_family_revoke(family=claims.family, reason=reason)
        raise tokens.invalid()

    now = timezone.now()
    with transaction.atomic():
        # The conditional UPDATE is the claim: of two refreshes racing with one token,
        # PostgreSQL lets the second UPDATE see the first's committed used_at, so it
        # matches no row and that caller is treated as a replay below. A read then a
        # write would let both succeed and fork the session.
        claimed = StaffRefreshToken.objects.filter(
            jti=claims.jti, user=user, used_at__isnull=True, revoked_at__isnull=True
        ).update(used_at=now)
        if claimed:
            return _issue(user=user, family=claims.family, now=now)

    # Not claimed: unknown (never issued, or purged), revoked, or already spent.
    if StaffRefreshToken.objects.filter(jti=claims.jti, used_at__isnull=False).exists():
        logger.warning("staff refresh token reused: session %s of user %s revoked", claims.family, user.pk)
        staff_token_family_revoke(family=claims.family, reason=Reason.REUSE)
    raise tokens.invalid()


def staff_token_revoke(*, refresh_token: str) -> int:
    """Revoke the session of `refresh_token` (its holder logging out). Idempotent:
    revoking again, or with an expired or spent token of the session, succeeds."""
    claims = tokens.decode(refresh_token, typ=tokens.REFRESH, verify_exp=False)
    if not StaffRefreshToken.objects.filter(jti=claims.jti, user_id=claims.user_pk).exists():
        raise tokens.invalid()
    return staff_token_family_revoke(family=claims.family, reason=Reason.LOGOUT)


def staff_token_family_revoke(*, family: uuid.UUID, reason: str) -> int:
    """Revoke every token of one session; the first reason recorded stays."""
    return StaffRefreshToken.objects.filter(family=family, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )


def staff_tokens_revoke_user(*, user, reason: str) -> int:
    """Revoke every session of `user`."""
    return StaffRefreshToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )


def staff_tokens_purge_expired() -> int:
    """Delete the refresh tokens past their expiry (their JWT is refused anyway). One
    DELETE; running it twice deletes nothing the second time."""
    return purge_in_batches(StaffRefreshToken.objects.filter(expires_at__lte=timezone.now()))
