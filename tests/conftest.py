import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clean_cache():
    """Rate-limit counters live in Redis (a database reserved for the tests): start each test at zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user(
        username="staff", password="pw-staff-123", is_staff=True, is_superuser=True, email="staff@example.com"
    )
    client.force_login(user)
    client.user = user
    return client
