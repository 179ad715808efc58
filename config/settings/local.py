"""Local and demo settings: everything has an embedded default.

Without DATABASE_URL the site uses SQLite; without REDIS_URL the cache is in
process memory; without a broker Celery runs tasks eagerly, so `bin/demo` works on
a machine with only Python.
"""

from urllib.parse import urlsplit

from .base import *  # noqa: F403
from .base import BASE_DIR, env, redis_cache

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-local-demo-key-not-for-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "0.0.0.0"])  # noqa: S104
# bin/demo on ADDR=0.0.0.0:8000 sets SITE_URL to this machine's address: a phone opening
# the links of the demo's e-mails must be let in.
_site_host = urlsplit(env.str("SITE_URL", default="")).hostname
if _site_host and _site_host not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(_site_host)
# Without LICENSE_SIGNING_KEYS, license keys are signed with a key derived from SECRET_KEY.
LICENSE_DERIVED_SIGNING_KEY = True

(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'demo.sqlite3'}")}

if env.str("REDIS_URL", default=""):
    CACHES = {"default": redis_cache(env.str("REDIS_URL"))}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # A per-process cache is fine for a one-process demo; production uses Redis.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=env.str("REDIS_URL", default=""))
if not CELERY_BROKER_URL:
    # No broker: run tasks in-process (still after commit), so the demo sends its e-mails.
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
    # Eager tasks still open a producer: an in-memory one, named so that kombu does not
    # warn about a missing hostname at the first e-mail.
    CELERY_BROKER_URL = "memory://localhost/"

# bin/demo runs no Celery beat: validations are written at once, not buffered for a flush
# that would never come.
LICENSE_VALIDATIONS_BUFFERED = env.bool("LICENSE_VALIDATIONS_BUFFERED", default=False)

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
if EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":  # noqa: F821 - set just above
    EMAIL_BACKEND = "core.mail.ConsoleBackend"
