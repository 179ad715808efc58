"""Where /compte/ (LOGIN_REDIRECT_URL) sends a user who logged in without a `next`:
the first registered role they hold, else the home page. Each domain registers its
own at startup (leads: merchant → leads:merchant, influencer → leads:influencer), so
accounts never imports them.

    register_home(lambda user: hasattr(user, "merchant_profile"), "leads:merchant")
"""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

RoleCheck = Callable[[object], bool]
_homes: list[tuple[RoleCheck, str]] = []


def register_home(role_check: RoleCheck, url_name: str) -> None:
    """Send users for whom `role_check(user)` is true to `url_name` (checked in the
    order registered; registering the same pair twice keeps one)."""
    if (role_check, url_name) not in _homes:
        _homes.append((role_check, url_name))


def home_url_for(user) -> str:
    for role_check, url_name in _homes:
        if role_check(user):
            return reverse(url_name)
    return reverse("home")
