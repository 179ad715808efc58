"""Benchmark settings (bench/run.py): production-like, but every value has a default.

DEBUG off, persistent checked database connections, Redis cache, WARNING logging, as
in production; no secret or host has to come from the environment, and the URLconf
adds the bare baseline view (bench/urls.py). Never use these settings to serve anything.
"""

from .base import *  # noqa: F403
from .base import LOGGING, env, redis_cache

DEBUG = False
SECRET_KEY = "bench-secret-key-only-for-local-load-tests-0123456789abcdef"  # noqa: S105
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

ROOT_URLCONF = "bench.urls"

DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/platform_bench")}
# As in production: persistent connections, checked before reuse.
DATABASES["default"]["CONN_MAX_AGE"] = 60
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# A dedicated Redis database (8), apart from development (0) and the test suite (9).
CACHES = {"default": redis_cache("redis://127.0.0.1:6379/8")}

CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Plain HTTP on 127.0.0.1: no redirect to HTTPS.
SECURE_SSL_REDIRECT = False

LOGGING = {**LOGGING, "root": {**LOGGING["root"], "level": "WARNING"}}
