"""The staff token format: HS256 JWTs signed with JWT_SECRET.

Both tokens carry the user (`sub`), the session (`fam`) and a fingerprint of the user's
password hash (`pwd`, like Django's session auth hash): changing the password changes
the hash, so every token issued before is refused at its next use, without a signal or
a write. Nothing here touches the database; `services` and `auth` decide.
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from .errors import INVALID_TOKEN, TOKEN_EXPIRED, AuthError

ISSUER = "platform-staff"
ACCESS, REFRESH = "access", "refresh"
_CLAIMS = ["exp", "iat", "iss", "sub", "typ", "jti", "fam", "pwd"]


def secret() -> str:
    # Production requires JWT_SECRET (config/settings/production.py). The demo and the
    # tests derive one from SECRET_KEY, distinct from it.
    return settings.JWT_SECRET or salted_hmac("accounts.tokens.secret", "jwt", secret=settings.SECRET_KEY).hexdigest()


def password_fingerprint(user) -> str:
    return salted_hmac("accounts.tokens.password", user.password, secret=secret(), algorithm="sha256").hexdigest()[:32]


def fingerprint_matches(user, fingerprint: str) -> bool:
    return hmac.compare_digest(password_fingerprint(user), fingerprint)


@dataclass(frozen=True)
class Claims:
    user_pk: object
    typ: str
    jti: uuid.UUID
    family: uuid.UUID
    fingerprint: str


def encode(*, user, typ: str, jti: uuid.UUID, family: uuid.UUID, issued_at: datetime, expires_at: datetime) -> str:
    claims = {
        "sub": str(user.pk),
        "typ": typ,
        "jti": str(jti),
        "fam": str(family),
        "pwd": password_fingerprint(user),
        "iat": issued_at,
        "exp": expires_at,
        "iss": ISSUER,
    }
    return jwt.encode(claims, secret(), algorithm="HS256")


def invalid() -> AuthError:
    return AuthError(INVALID_TOKEN, _("Jeton invalide."))


def decode(token: str, *, typ: str, verify_exp: bool = True) -> Claims:
    """The claims of a token of type `typ` signed by us, or AuthError INVALID_TOKEN /
    TOKEN_EXPIRED. `verify_exp=False` still checks the signature (revoking an expired
    refresh token still identifies its session)."""
    try:
        raw = jwt.decode(
            token,
            secret(),
            algorithms=["HS256"],
            issuer=ISSUER,
            options={"require": _CLAIMS, "verify_exp": verify_exp},
        )
    except jwt.ExpiredSignatureError:
        raise AuthError(TOKEN_EXPIRED, _("Le jeton a expiré.")) from None
    except jwt.InvalidTokenError:
        raise invalid() from None
    if raw["typ"] != typ:
        raise invalid()
    try:
        return Claims(
            user_pk=get_user_model()._meta.pk.to_python(raw["sub"]),
            typ=typ,
            jti=uuid.UUID(raw["jti"]),
            family=uuid.UUID(str(raw["fam"])),
            fingerprint=str(raw["pwd"]),
        )
    except (ValidationError, ValueError, TypeError):
        raise invalid() from None
