"""Marketplace accounts: a merchant or an influencer is a platform user with a profile
(and, for a merchant, its deposit). Sign-up logs the person in at once (the view) and
sends a welcome e-mail; staff create and deactivate accounts in admin."""

from __future__ import annotations

from django.db import transaction

from accounts.users import user_create

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
    `name` is the public name). Raises ValidationError by field ("username", "email",
    "password") for a taken username or e-mail or a weak password."""
    # The form puts the refusals back on its fields (accounts.forms.NewAccountForm).
    user = user_create(username=username, email=email, password=password)
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
    user = user_create(username=username, email=email, password=password)
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
