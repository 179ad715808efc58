"""Marketplace accounts: a merchant or an influencer is a platform user with a profile
(and, for a merchant, its deposit). Sign-up logs the person in at once (the view) and
sends a welcome e-mail; staff create and deactivate accounts in admin."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
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
    users = get_user_model()
    username, email = username.strip(), users.objects.normalize_email(email.strip())
    errors = {}
    if users.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("Ce nom d'utilisateur est déjà pris.")]
    if users.objects.filter(email__iexact=email).exists():
        errors["email"] = [_("Un compte existe déjà avec cette adresse e-mail.")]
    user = users(username=username, email=email)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        errors["password1"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    user.save()
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
