"""Customer accounts: sign up, verify the e-mail, the welcome e-mail.

Customers follow everything with a tracking number alone; an account adds "Mes
demandes", where their requests are found by their e-mail, once that e-mail is verified
(accounts.selectors.verified_email). The pages (accounts.customer_views) go through these
functions.

The verification link is signed (django.core.signing, salted, with its time): it names
the user and a fingerprint of the address it was sent to, so it verifies that address
only, and stops working when the account's e-mail changes or after
ACCOUNT_EMAIL_VERIFY_DAYS. Nothing is stored for it: a resent link does not cancel the
previous one (both prove the same mailbox).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from core.notify import notify_email

from .errors import ALREADY_VERIFIED, LINK_EXPIRED, LINK_INVALID, NOT_A_CUSTOMER, AccountError
from .models import CustomerProfile
from .selectors import customer_profile, verified_email
from .users import email_taken_message, user_create

_SALT = "accounts.email-verification"


def _email_fingerprint(email: str) -> str:
    # Not the address itself: the link ends up in logs and browser histories.
    return salted_hmac(_SALT, email.strip().lower(), algorithm="sha256").hexdigest()[:24]


def verification_token(*, user) -> str:
    """A signed, timestamped token verifying `user`'s current e-mail."""
    return signing.TimestampSigner(salt=_SALT).sign_object({"u": user.pk, "e": _email_fingerprint(user.email)})


def verification_url(*, token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("accounts:email_verify", args=[token])


def _signup_errors(exc: ValidationError, *, email: str) -> ValidationError:
    """The username is the e-mail: its refusals are about the e-mail field."""
    errors = dict(exc.message_dict)
    username_errors = errors.pop("username", None)
    if username_errors and "email" not in errors:
        taken = get_user_model().objects.filter(username__iexact=email.strip().lower()).exists()
        errors["email"] = [
            email_taken_message()
            if taken
            else _("Cette adresse ne peut pas servir d'identifiant de connexion : utilisez-en une autre.")
        ]
    return ValidationError(errors)


@transaction.atomic
def customer_signup(*, name: str, email: str, password: str, language: str):
    """A new customer account, logged in by the view: the user (username: the e-mail in
    lower case, unique like every account's e-mail, case-insensitively), its profile
    (not verified yet) and the verification e-mail. Raises ValidationError by field
    ("email", "password", "first_name") for a taken e-mail or a weak password."""
    email = email.strip()
    try:
        user = user_create(username=email.lower(), email=email, password=password, first_name=name)
    except ValidationError as exc:
        raise _signup_errors(exc, email=email) from None
    user.customer_profile = CustomerProfile.objects.create(user=user, language=language)
    _send_verification(user=user, language=language)
    return user


def _send_verification(*, user, language: str) -> None:
    token = verification_token(user=user)
    notify_email(
        # One e-mail per link (a link asked again within the same second is the same one).
        key=f"accounts:verify:{user.pk}:{token}",
        to=user.email,
        template="accounts/email/verify",
        context={
            "name": user.get_full_name() or user.email,
            "url": verification_url(token=token),
            "days": settings.ACCOUNT_EMAIL_VERIFY_DAYS,
        },
        language=language,
    )


def email_verification_send(*, user) -> None:
    """The verification link again, to the account's current e-mail. AccountError
    NOT_A_CUSTOMER for a user without a customer account, ALREADY_VERIFIED when that
    address is verified already."""
    profile = customer_profile(user)
    if profile is None:
        raise AccountError(NOT_A_CUSTOMER, _("Ce compte n'est pas un compte client."))
    if verified_email(user):
        raise AccountError(ALREADY_VERIFIED, _("Votre adresse e-mail est déjà vérifiée."))
    _send_verification(user=user, language=profile.language)


@dataclass(frozen=True)
class Verification:
    user: object
    email: str
    # True when this address was verified before (a second click on the link).
    already: bool


@transaction.atomic
def email_verify(*, token: str) -> Verification:
    """Verify the address a link was sent to. Idempotent: the same link again answers
    `already=True` and changes nothing. The first verification of an account sends the
    welcome e-mail (once: keyed on the account). AccountError LINK_EXPIRED past
    ACCOUNT_EMAIL_VERIFY_DAYS, LINK_INVALID for a tampered link, an unknown or
    deactivated account, or an address that is no longer the account's."""
    invalid = AccountError(LINK_INVALID, _("Ce lien de vérification n'est pas valide."))
    signer = signing.TimestampSigner(salt=_SALT)
    try:
        claims = signer.unsign_object(token, max_age=timedelta(days=settings.ACCOUNT_EMAIL_VERIFY_DAYS))
    except signing.SignatureExpired:
        raise AccountError(LINK_EXPIRED, _("Ce lien de vérification a expiré.")) from None
    except (signing.BadSignature, ValueError, TypeError):
        raise invalid from None
    if not isinstance(claims, dict) or not isinstance(claims.get("e"), str):
        raise invalid
    # The profile row locked: two clicks at once verify once, and the second says so.
    profile = (
        CustomerProfile.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(user_id=claims.get("u"), user__is_active=True)
        .first()
    )
    if profile is None:
        raise invalid
    user = profile.user
    user.customer_profile = profile
    if not constant_time_compare(claims["e"], _email_fingerprint(user.email)):
        # Sent to an address the account no longer has.
        raise invalid
    if verified_email(user):
        return Verification(user=user, email=user.email, already=True)
    first_time = profile.email_verified_at is None
    profile.verified_email, profile.email_verified_at = user.email, timezone.now()
    profile.save(update_fields=["verified_email", "email_verified_at"])
    if first_time:
        _send_welcome(user=user, language=profile.language)
    return Verification(user=user, email=user.email, already=False)


def _send_welcome(*, user, language: str) -> None:
    notify_email(
        key=f"accounts:welcome:{user.pk}",
        to=user.email,
        template="accounts/email/welcome",
        context={
            "name": user.get_full_name() or user.email,
            "url": settings.SITE_URL.rstrip("/") + reverse("accounts:requests"),
        },
        language=language,
    )
