"""core.http.client_ip: trusted proxies as addresses and CIDR ranges."""

import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from core.http import client_ip, client_ip_key

PROXIES = ["10.0.0.0/8", "172.16.0.0/12", "::1", "2001:db8:ffff::/48"]


def ip(remote: str, forwarded: str | None = None) -> str:
    extra = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    return client_ip(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))


@pytest.fixture
def proxies(settings):
    settings.TRUSTED_PROXIES = PROXIES


def test_forwarded_for_from_an_untrusted_peer_is_ignored(proxies):
    assert ip("198.51.100.7", "203.0.113.9") == "198.51.100.7"
    assert ip("2001:db8:1::5", "203.0.113.9") == "2001:db8:1::5"


def test_forwarded_for_is_ignored_without_trusted_proxies(settings):
    settings.TRUSTED_PROXIES = []
    assert ip("10.0.0.1", "203.0.113.9") == "10.0.0.1"


def test_a_peer_inside_a_trusted_range_is_a_proxy(proxies):
    assert ip("10.20.30.40", "203.0.113.9") == "203.0.113.9"
    assert ip("172.31.255.1", "203.0.113.9") == "203.0.113.9"
    assert ip("2001:db8:ffff:12::1", "2001:db8:5::9") == "2001:db8:5::9"


def test_a_single_trusted_address_is_a_proxy(proxies):
    assert ip("::1", "203.0.113.9") == "203.0.113.9"


def test_the_right_most_untrusted_hop_is_the_client(proxies):
    # The client forged the left-most entry; its real address was added by our first proxy.
    assert ip("10.0.0.1", "1.2.3.4, 203.0.113.9, 172.16.0.5, 10.1.1.1") == "203.0.113.9"


def test_invalid_forwarded_entries_are_skipped(proxies):
    assert ip("10.0.0.1", "203.0.113.9, unknown, , 999.1.1.1") == "203.0.113.9"
    assert ip("10.0.0.1", "garbage") == "10.0.0.1"


def test_only_trusted_hops_give_the_proxy_itself(proxies):
    assert ip("10.0.0.1", "10.0.0.2, 172.16.0.1") == "10.0.0.1"


def test_ipv4_mapped_addresses_are_ipv4(proxies):
    assert ip("::ffff:10.0.0.1", "::ffff:203.0.113.9") == "203.0.113.9"


def test_rate_limits_count_ipv6_per_64_and_ipv4_per_address():
    factory = RequestFactory()
    assert client_ip_key(factory.get("/", REMOTE_ADDR="2001:db8:1:2:3:4:5:6")) == "2001:db8:1:2::/64"
    assert client_ip_key(factory.get("/", REMOTE_ADDR="203.0.113.9")) == "203.0.113.9"


def test_an_invalid_trusted_proxy_is_a_configuration_error(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "10.0.0.0/33"]
    with pytest.raises(ImproperlyConfigured, match="10.0.0.0/33"):
        ip("10.0.0.1")


def test_an_invalid_trusted_proxy_stops_the_server_at_startup():
    code = "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings.test'; django.setup()"
    env = {
        "PATH": "/usr/bin:/bin",
        "TEST_REDIS_URL": django_settings.CACHES["default"]["LOCATION"],
        "TRUSTED_PROXIES": "10.0.0.0/8,proxy.internal",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=django_settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "'proxy.internal'" in result.stderr
