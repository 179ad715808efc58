"""The tickets API tests' people and ways in: a customer with an account, another one,
support staff (all permissions, read only, none), their sessions and tokens."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from .factories import make_support_staff, make_ticket


@pytest.fixture
def customer(db):
    return get_user_model().objects.create_user(
        username="awa", email="awa.diop@example.com", first_name="Awa", last_name="Diop", password="pw-awa-12345"
    )


@pytest.fixture
def other_customer(db):
    return get_user_model().objects.create_user(username="moussa", email="moussa@example.com", password="pw-m-12345")


@pytest.fixture
def agent(db):
    return make_support_staff("agent")


@pytest.fixture
def viewer(db):
    """Staff who may read tickets, not change them."""
    return make_support_staff("viewer", perms=("view_ticket",))


@pytest.fixture
def outsider(db):
    """Staff without any support permission (a licenses admin, say)."""
    return make_support_staff("outsider", perms=())


@pytest.fixture
def ticket(customer):
    """A ticket the customer opened while logged in."""
    return make_ticket(user=customer)
