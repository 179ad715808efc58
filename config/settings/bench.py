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
# Without LICENSE_SIGNING_KEYS, license keys are signed with a key derived from SECRET_KEY.
LICENSE_DERIVED_SIGNING_KEY = True

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

# bench/run.py loads POST /api/v1/licenses/validate from one client IP (127.0.0.1): at
# the production rate (100/h per IP) all but the first 100 requests would be 429s and
# the run would measure the rate limiter. Set so high it never triggers; the limit is
# still counted (one Redis INCR + EXPIRE per request), as in production. The other
# license endpoints are not loaded, so they keep their production rates.
LICENSE_RATE_VALIDATE = "100000000/h"

# Plain HTTP on 127.0.0.1: no redirect to HTTPS.
SECURE_SSL_REDIRECT = False

LOGGING = {**LOGGING, "root": {**LOGGING["root"], "level": "WARNING"}}

# bench/leads_create.py loads POST /api/leads/create as one influencer: at the production
# rate (60/min per user) nearly every request would be a 429. Counted in Redis all the same.
LEADS_RATE_CREATE = "100000000/m"
