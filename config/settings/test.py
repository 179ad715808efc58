"""Test settings: the real PostgreSQL and Redis (see README), tasks run eagerly."""

from .base import *  # noqa: F403
from .base import env, redis_cache

DEBUG = False
SECRET_KEY = "test-secret-key-only-for-the-test-suite-0123456789abcdef"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# Without LICENSE_SIGNING_KEYS, license keys are signed with a key derived from SECRET_KEY.
LICENSE_DERIVED_SIGNING_KEY = True

DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/platform")}
# A dedicated Redis database: the suite flushes it between tests.
CACHES = {"default": redis_cache(env.str("TEST_REDIS_URL", default="redis://127.0.0.1:6379/9"))}

CELERY_BROKER_URL = env.str("TEST_REDIS_URL", default="redis://127.0.0.1:6379/9")
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests read what they just wrote; the microcache has tests of its own.
MICROCACHE_SECONDS = 0
# No beat in the tests: validations are written at once unless a test turns buffering on.
LICENSE_VALIDATIONS_BUFFERED = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
