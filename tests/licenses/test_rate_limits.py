import subprocess
import sys
from types import SimpleNamespace

import django_ratelimit.core
import pytest
from django.conf import settings as django_settings

from .conftest import MACHINE

pytestmark = pytest.mark.django_db


def _exceeded(response):
    body = response.json()
    return (
        response.status_code == 429
        and body["error"] == "RATE_LIMIT_EXCEEDED"
        and body["retry_after"] > 0
        and response["Retry-After"] == str(body["retry_after"])
    )


def test_trial_allows_3_per_hour_per_ip(api, product):
    for i in range(3):
        assert api.trial(machine=f"{i:032x}", email=f"u{i}@example.com").status_code == 201
    assert _exceeded(api.trial(machine="f" * 32, email="x@example.com"))
    assert api.trial(machine="e" * 32, email="y@example.com", ip="10.0.0.2").status_code == 201


def test_activate_allows_10_per_hour_per_ip(api, product):
    body = {"machine_id": MACHINE, "activation_code": "ABCD-EFGH-JKMN-PQRS", "email": "a@example.com"}
    for _ in range(10):
        assert api.post("/licenses/activate", body).status_code == 404
    assert _exceeded(api.post("/licenses/activate", body))


def test_validate_allows_100_per_hour_per_ip(api, product):
    key = api.trial(ip="10.1.1.1").json()["license_key"]
    body = {"machine_id": MACHINE, "license_key": key}
    for _ in range(100):
        assert api.post("/licenses/validate", body).status_code == 200
    assert _exceeded(api.post("/licenses/validate", body))


def test_rates_come_from_settings(api, product, settings):
    settings.LICENSE_RATE_TRIAL = "1/h"
    assert api.trial().status_code == 201
    assert _exceeded(api.trial(machine="f" * 32))


def test_token_endpoint_is_rate_limited(api, settings):
    settings.LICENSE_RATE_TOKEN = "2/h"
    for _ in range(2):
        assert api.post("/admin/token", {"username": "x", "password": "y"}).status_code == 401
    assert _exceeded(api.post("/admin/token", {"username": "x", "password": "y"}))


def test_two_processes_share_the_count(api, product):
    """Requests counted by another process (another gunicorn worker) count here too."""
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings.test'; django.setup();"
        "from django.test import RequestFactory; from licenses.api import limit;"
        "r = RequestFactory().post('/', REMOTE_ADDR='10.0.0.1');"
        "[limit(r, 'trial', '3/h') for _ in range(3)]"
    )
    env = {"PATH": "/usr/bin:/bin", "TEST_REDIS_URL": django_settings.CACHES["default"]["LOCATION"]}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=django_settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert _exceeded(api.trial())


def test_client_ip_is_remote_addr_unless_a_trusted_proxy_says_otherwise(api, product, settings):
    for i in range(3):
        api.trial(machine=f"{i:032x}", email=f"u{i}@example.com", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
    # X-Forwarded-For is ignored by default: all three came from 10.0.0.1.
    assert _exceeded(api.trial(machine="f" * 32, email="z@example.com", HTTP_X_FORWARDED_FOR="203.0.113.50"))
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    response = api.trial(machine="e" * 32, email="w@example.com", HTTP_X_FORWARDED_FOR="203.0.113.50")
    assert response.status_code == 201


def test_429_envelope_is_unchanged_and_retry_after_is_what_is_left_of_the_window(api, product, monkeypatch):
    now = 1_900_000_000.0
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: now))
    for i in range(3):
        assert api.trial(machine=f"{i:032x}", email=f"u{i}@example.com").status_code == 201
    response = api.trial(machine="f" * 32, email="x@example.com")
    body = response.json()
    assert set(body) == {"success", "error", "message", "details", "timestamp", "request_id", "retry_after"}
    assert body["success"] is False and body["error"] == "RATE_LIMIT_EXCEEDED" and body["details"] == {}
    window_end = django_ratelimit.core._get_window("10.0.0.1", 3600)
    assert body["retry_after"] == int(response["Retry-After"]) == window_end + 1 - int(now)


def test_heartbeat_is_limited_per_machine_not_per_ip(api, product):
    key = api.trial(ip="10.1.1.1").json()["license_key"]
    body = {"machine_id": MACHINE, "license_key": key, "app_version": "1.6.0"}
    assert api.post("/licenses/heartbeat", body, ip="10.0.0.7").status_code == 200
    assert _exceeded(api.post("/licenses/heartbeat", body, ip="10.0.0.8"))


def test_ipv6_clients_share_one_counter_per_64(api, product):
    for i in range(3):
        assert api.trial(machine=f"{i:032x}", email=f"u{i}@example.com", ip=f"2001:db8:7:7::{i + 1}").status_code == 201
    assert _exceeded(api.trial(machine="f" * 32, email="x@example.com", ip="2001:db8:7:7:ffff::1"))
    assert api.trial(machine="e" * 32, email="y@example.com", ip="2001:db8:7:8::1").status_code == 201


def test_heartbeats_from_one_ip_are_capped_whatever_machine_id_they_send(api, product, settings):
    settings.LICENSE_RATE_HEARTBEAT_IP = "3/h"
    for i in range(3):
        body = {"machine_id": f"{i:032x}", "license_key": "EF1.x.y", "app_version": "1.6.0"}
        assert api.post("/licenses/heartbeat", body, ip="10.0.0.9").status_code == 404
    body = {"machine_id": "f" * 32, "license_key": "EF1.x.y", "app_version": "1.6.0"}
    assert _exceeded(api.post("/licenses/heartbeat", body, ip="10.0.0.9"))
