import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation


@pytest.fixture(autouse=True)
def _clean_cache():
    """Rate-limit counters live in Redis (a database reserved for the tests): start each test
    at zero; so do the per-process copies (microcache, remembered license states)."""
    from licenses import state_cache
    from tracking import caching

    cache.clear()
    caching.local.clear()
    state_cache.forget_all()
    yield
    cache.clear()
    caching.local.clear()
    state_cache.forget_all()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded files (revision photos, receipts) go to a folder of the test's own, never
    the project's media/."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user(
        username="staff", password="pw-staff-123", is_staff=True, is_superuser=True, email="staff@example.com"
    )
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture(autouse=True)
def _default_language():
    """A request made with the English cookie leaves English active in the thread; every
    test starts in the site's language, as a new request or task does."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _celery_join_flag():
    """Eager tasks run in the race tests' threads toggle Celery's process-wide "inside a
    task" flag (celery.result.denied_join_result) without a lock; two threads can leave
    it set, and a later test's `.delay().get()` then fails. Reset it after each test."""
    yield
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)


@pytest.fixture
def frozen_clock(monkeypatch):
    """One rate-limit window for the whole test: django-ratelimit's clock stopped (a slow
    run must not cross a window's end halfway through a count)."""
    from types import SimpleNamespace

    import django_ratelimit.core

    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: 1_900_000_000.0))
