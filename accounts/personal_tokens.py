"""Personal API tokens: create, revoke, and the user a presented token stands for.

The web pages (/compte/jetons/), and the APIs' `accounts.auth.SessionOrToken`, go
through these functions."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import AuthError
from .models import PersonalToken

TOKEN_PREFIX = "pt_"  # noqa: S105 - the tokens' visible type, not a secret
TOKEN_NOT_FOUND = "TOKEN_NOT_FOUND"  # noqa: S105 - an error code, not a secret
# last_used_at is for the owner's list ("used 3 minutes ago"): writing it at most once a
# minute per token keeps a busy API client from turning every call into a write.
LAST_USED_PRECISION = timedelta(minutes=1)


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def personal_token_create(*, user, name: str) -> tuple[PersonalToken, str]:
    """A new token for `user`: the row and the token itself (`pt_` + 32 random bytes,
    URL-safe base64), which is shown once and never stored."""
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = PersonalToken(user=user, name=name.strip(), prefix=plaintext[:8], digest=digest_of(plaintext))
    token.full_clean()
    token.save()
    return token, plaintext


@transaction.atomic
def personal_token_revoke(*, user, token_id: int) -> PersonalToken:
    """Revoke one of `user`'s tokens (idempotent: revoking again keeps the first date).
    Another user's token, or an unknown one, is TOKEN_NOT_FOUND."""
    token = PersonalToken.objects.select_for_update().filter(pk=token_id, user=user).first()
    if token is None:
        raise AuthError(TOKEN_NOT_FOUND, _("Jeton introuvable."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def user_for_personal_token(token: str):
    """The active user `token` stands for, or None (unknown, revoked, owner deactivated).
    One query; plus, at most once a minute per token, one conditional UPDATE of its
    last use."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    found = (
        PersonalToken.objects.select_related("user")
        .filter(digest=digest_of(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if found is None:
        return None
    now = timezone.now()
    if found.last_used_at is None or found.last_used_at <= now - LAST_USED_PRECISION:
        # Conditional: of many requests at once, one writes, the others match no row.
        PersonalToken.objects.filter(pk=found.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_PRECISION)
        ).update(last_used_at=now)
    return found.user
