"""Reads about accounts that other apps use (support's API, "Mes demandes")."""

from __future__ import annotations

# Set at login (accounts.signals.remember_customer): whether the session's user is a customer.
CUSTOMER_SESSION_KEY = "accounts.customer"


def customer_profile(user):
    """The user's CustomerProfile, or None (not a customer, not logged in). Loaded once
    per user object: Django keeps the related row, or its absence, on the instance."""
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "customer_profile", None)


def is_customer(user) -> bool:
    """A customer is a user who signed up at /compte/inscription/ (merchants and
    influencers have their own profiles and homes)."""
    return customer_profile(user) is not None


def verified_email(user) -> str | None:
    """The e-mail `user` proved is theirs, while it is still their account's e-mail; else
    None (never verified, or the account's e-mail changed since: the new one must be
    verified in turn). Requests and tickets are matched to an account by this address
    only. At most one query (the profile), none if the user object already has it."""
    profile = customer_profile(user)
    if profile is None or profile.email_verified_at is None or not profile.verified_email:
        return None
    if profile.verified_email.lower() != (user.email or "").strip().lower():
        return None
    return profile.verified_email
