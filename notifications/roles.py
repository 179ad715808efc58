"""Who a staff broadcast can go to: a registry of roles, each a label and a function
returning its users. "everyone" and "staff" are built in; each domain registers its
own at startup (leads: merchants, influencers), so notifications never imports them.

    register("merchants", _("Marchands"), lambda: User.objects.filter(merchant__isnull=False))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Role:
    name: str
    label: str
    users: Callable[[], QuerySet]


_roles: dict[str, Role] = {}


def register(name: str, label, users: Callable[[], QuerySet]) -> None:
    """Make `name` a broadcast target; `users()` returns its users (active ones are
    kept by the broadcast itself)."""
    _roles[name] = Role(name=name, label=label, users=users)


def get(name: str) -> Role | None:
    return _roles.get(name)


def choices() -> list[tuple[str, str]]:
    return [(role.name, role.label) for role in _roles.values()]


register("everyone", _("Tout le monde"), lambda: get_user_model().objects.all())
register("staff", _("Le personnel"), lambda: get_user_model().objects.filter(is_staff=True))
