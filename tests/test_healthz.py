from unittest import mock

import pytest


@pytest.mark.django_db
def test_healthz_reports_database_and_cache_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


@pytest.mark.django_db
def test_healthz_names_the_cache_when_redis_is_down(client, settings):
    # A real Redis client pointed at a port where nothing listens.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    from django.core.cache import caches

    with mock.patch("core.views.cache", caches.create_connection("default")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "cache": "error"}


@pytest.mark.django_db
def test_healthz_names_the_database_when_it_fails(client):
    with mock.patch("core.views.connection.cursor", side_effect=Exception("connection refused")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error", "cache": "ok"}
