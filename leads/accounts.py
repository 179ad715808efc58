"""Marketplace accounts: a merchant or an influencer is a platform user with a profile
(and, for a merchant, its deposit). Sign-up logs the person in at once (the view) and
sends a welcome e-mail; staff create and deactivate accounts in admin."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from . import notices
from .models import Deposit, InfluencerProfile, MerchantProfile

MERCHANT, INFLUENCER = "merchant", "influencer"


def is_merchant(user) -> bool:
    return role_of(user) == MERCHANT


def is_influencer(user) -> bool:
    return role_of(user) == INFLUENCER


def role_of(user) -> str | None:
    """ "merchant", "influencer" or None; reads the profiles the request already loaded."""
    if user is None or not user.is_authenticated:
        return None
    if hasattr(user, "merchant"):
        return MERCHANT
    if hasattr(user, "influencer"):
        return INFLUENCER
    return None


def _new_user(*, username: str, email: str, password: str | None):
    """A saved user, or ValidationError by field for a taken username or e-mail or a weak
    password. `password=None`: a random one nobody knows (the person sets theirs through
    the reset e-mail; Django's reset form skips users without a usable password)."""
    users = get_user_model()
    username, email = username.strip(), users.objects.normalize_email(email.strip())
    errors = {}
    if users.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("Ce nom d'utilisateur est déjà pris.")]
    if users.objects.filter(email__iexact=email).exists():
        errors["email"] = [_("Un compte existe déjà avec cette adresse e-mail.")]
    user = users(username=username, email=email)
    # The model's own rules (username characters and length, e-mail length), by field.
    try:
        user.clean_fields(exclude=["password"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    user.set_password(password if password is not None else secrets.token_urlsafe(32))
    try:
        # Two sign-ups racing for one username: the unique index decides, the loser gets
        # the same message as if it had been taken before.
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationError({"username": [_("Ce nom d'utilisateur est déjà pris.")]}) from None
    return user


@transaction.atomic
def account_signup(
    *,
    role: str,
    username: str,
    email: str,
    password: str,
    name: str,
    phone: str = "",
    language: str = "fr",
):
    """A new marchand ("merchant": `name` is the company) or influenceur ("influencer":
    `name` is the public name). Raises ValidationError for a taken username or e-mail or
    a weak password (the form shows them by field)."""
    try:
        user = _new_user(username=username, email=email, password=password)
    except ValidationError as exc:
        # The sign-up form's password field is "password1".
        raise ValidationError(
            {("password1" if field == "password" else field): errors for field, errors in exc.message_dict.items()}
        ) from None
    if role == MERCHANT:
        merchant = MerchantProfile.objects.create(
            user=user, company_name=name.strip(), phone=phone.strip(), language=language
        )
        Deposit.objects.create(merchant=merchant)
    elif role == INFLUENCER:
        InfluencerProfile.objects.create(user=user, display_name=name.strip(), phone=phone.strip(), language=language)
    else:
        raise ValueError(f"unknown role {role!r}")
    notices.welcome(user=user, role=role, language=language)
    return user


def merchant_create(
    *, user, company_name: str, phone: str = "", ice: str = "", language: str = "fr"
) -> MerchantProfile:
    """A merchant profile for an existing user (admin, demo), with its deposit."""
    with transaction.atomic():
        merchant = MerchantProfile.objects.create(
            user=user, company_name=company_name, phone=phone, ice=ice, language=language
        )
        Deposit.objects.create(merchant=merchant)
    return merchant


@transaction.atomic
def account_create(
    *,
    role: str,
    username: str,
    email: str,
    name: str,
    phone: str = "",
    ice: str = "",
    language: str = "fr",
    password: str | None,
):
    """Staff open an account (admin): the user, its profile (and a merchant's deposit),
    the welcome e-mail, and, with `password=None`, a password-reset e-mail through which
    the person chooses their password. Raises ValidationError by field (username,
    email, password)."""
    user = _new_user(username=username, email=email, password=password)
    if role == MERCHANT:
        merchant_create(user=user, company_name=name.strip(), phone=phone.strip(), ice=ice.strip(), language=language)
    elif role == INFLUENCER:
        InfluencerProfile.objects.create(user=user, display_name=name.strip(), phone=phone.strip(), language=language)
    else:
        raise ValueError(f"unknown role {role!r}")
    notices.welcome(user=user, role=role, language=language)
    if password is None and user.email:
        from accounts.forms import PlatformPasswordResetForm

        # The platform's own reset e-mail (outbox, branded, one per token).
        reset = PlatformPasswordResetForm({"email": user.email})
        if reset.is_valid():
            reset.save()
    return user


def accounts_deactivate(*, users) -> int:
    """Close accounts: the users can no longer log in, their sessions end at their next
    request and their personal API tokens stop working (every authentication checks
    `is_active`). Saved one by one so that accounts' deactivation hook revokes their
    staff sessions too. Returns how many were active."""
    done = 0
    for user in users:
        if user.is_active:
            user.is_active = False
            user.save(update_fields=["is_active"])
            done += 1
    return done


def accounts_reactivate(*, users) -> int:
    done = 0
    for user in users:
        if not user.is_active:
            user.is_active = True
            user.save(update_fields=["is_active"])
            done += 1
    return done
