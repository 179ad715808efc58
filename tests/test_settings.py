"""The production settings, checked in fresh processes as gunicorn would load them."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROD_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "a-very-long-production-secret-key-with-enough-entropy-0123456789-abcdefghijkl",
    "ALLOWED_HOSTS": "services.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/platform",
    "REDIS_URL": "redis://127.0.0.1:6379/9",
    "JWT_SECRET": "another-long-secret-only-for-staff-api-tokens-0123456789-abcdef",
    "LICENSE_SIGNING_KEYS": "k2026a:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
}


def _manage(*args, env):
    base = {k: v for k, v in os.environ.items() if k not in PROD_ENV}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PROD_ENV)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_required_variables():
    for missing in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "JWT_SECRET", "LICENSE_SIGNING_KEYS"):
        env = {k: v for k, v in PROD_ENV.items() if k != missing}
        result = _manage("check", env=env)
        assert result.returncode != 0
        assert f"The {missing} environment variable is required" in result.stderr


def test_production_refuses_a_jwt_secret_equal_to_the_secret_key_or_short():
    result = _manage("check", env={**PROD_ENV, "JWT_SECRET": PROD_ENV["SECRET_KEY"]})
    assert result.returncode != 0
    assert "JWT_SECRET must be different from SECRET_KEY" in result.stderr
    result = _manage("check", env={**PROD_ENV, "JWT_SECRET": "short-secret"})
    assert result.returncode != 0
    assert "JWT_SECRET must be at least 32 characters long" in result.stderr


def test_production_refuses_to_start_with_webhooks_allowed_to_reach_loopback():
    result = _manage("check", env={**PROD_ENV, "WEBHOOK_ALLOW_LOOPBACK": "true"})

    assert result.returncode != 0
    assert "ImproperlyConfigured: WEBHOOK_ALLOW_LOOPBACK is for tests and local development only" in result.stderr
    assert _manage("check", env={**PROD_ENV, "WEBHOOK_ALLOW_LOOPBACK": "false"}).returncode == 0


def test_production_refuses_to_sign_licenses_with_a_key_derived_from_secret_key():
    env = {k: v for k, v in PROD_ENV.items() if k != "LICENSE_SIGNING_KEYS"}
    code = "import config.settings.production"
    base = {k: v for k, v in os.environ.items() if k not in PROD_ENV}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: The LICENSE_SIGNING_KEYS environment variable is required" in result.stderr
    assert "manage.py license_keygen" in result.stderr


def test_wsgi_defaults_to_production_settings():
    env = {k: v for k, v in os.environ.items() if k not in PROD_ENV}
    env.update({k: v for k, v in PROD_ENV.items() if k != "DJANGO_SETTINGS_MODULE"})
    code = "import config.wsgi; from django.conf import settings; print(settings.SETTINGS_MODULE, settings.DEBUG)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["config.settings.production", "False"], result.stderr


def test_production_pages_render_even_before_collectstatic(tmp_path):
    """A deployment that skipped collectstatic must still serve pages, not 500s."""
    env = {k: v for k, v in os.environ.items() if k not in PROD_ENV}
    env.update(PROD_ENV)
    env["STATIC_ROOT_FOR_TEST"] = str(tmp_path)
    code = (
        "import django; django.setup();"
        "from django.conf import settings; settings.STATIC_ROOT = __import__('os').environ['STATIC_ROOT_FOR_TEST'];"
        "from django.test import Client; c = Client(HTTP_HOST='services.example.com');"
        "g = lambda u: c.get(u, secure=True).status_code;"
        "print(g('/'), g('/tracking/'), g('/static/css/site.css'))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["200", "200", "200"], result.stderr[-2000:]


def _hsts_header(extra_env: dict) -> str:
    env = {k: v for k, v in os.environ.items() if k not in PROD_ENV}
    env.update(PROD_ENV)
    env.update(extra_env)
    code = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client(HTTP_HOST='services.example.com').get('/healthz', secure=True);"
        "print(r.headers.get('Strict-Transport-Security', ''))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


def test_hsts_preload_is_off_unless_opted_in():
    assert _hsts_header({}) == "max-age=31536000; includeSubDomains"
    assert _hsts_header({"SECURE_HSTS_PRELOAD": "true"}) == "max-age=31536000; includeSubDomains; preload"


def test_check_deploy_stays_clean_with_hsts_preload_opted_in():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env={**PROD_ENV, "SECURE_HSTS_PRELOAD": "true"})
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout
