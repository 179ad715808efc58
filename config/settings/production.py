"""Production settings: secrets and hosts have no default and must come from the environment."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import WEBHOOK_ALLOW_LOOPBACK, env, redis_cache

DEBUG = False


def _required(name: str, hint: str = "") -> str:
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(f"The {name} environment variable is required in production.{hint}")
    return value


SECRET_KEY = _required("SECRET_KEY")
# Staff API tokens get their own key: rotating it logs the API clients out without
# touching sessions and password resets, and a leak of one does not give the other.
JWT_SECRET = _required("JWT_SECRET")
if JWT_SECRET == SECRET_KEY:
    raise ImproperlyConfigured("JWT_SECRET must be different from SECRET_KEY.")
if len(JWT_SECRET) < 32:
    # HS256 keys shorter than the hash output are guessable offline from one token.
    raise ImproperlyConfigured("JWT_SECRET must be at least 32 characters long.")
ALLOWED_HOSTS = [h.strip() for h in _required("ALLOWED_HOSTS").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS", default=[f"https://{h.lstrip('.')}" for h in ALLOWED_HOSTS if h != "*"]
)

# License keys are signed with a real key, never one derived from SECRET_KEY (which
# would change, and invalidate every license, the day SECRET_KEY is rotated).
LICENSE_SIGNING_KEYS = _required(
    "LICENSE_SIGNING_KEYS",
    " Generate an entry with `manage.py license_keygen --key-id <id>` and pin its public key in the"
    " desktop app; when moving off a derived demo key, first copy GET /api/v1/licenses/public-key"
    " into LICENSE_VERIFY_KEYS.",
)

if WEBHOOK_ALLOW_LOOPBACK:
    # A webhook URL set in admin could then call Redis, PostgreSQL or any local service.
    raise ImproperlyConfigured(
        "WEBHOOK_ALLOW_LOOPBACK is for tests and local development only: webhooks must not reach this"
        " machine in production. Remove it from the environment (or set it to False)."
    )

DATABASES = {"default": env.db_url_config(_required("DATABASE_URL"))}
# Persistent connections, checked before reuse so a restarted PostgreSQL does not break requests.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {"default": redis_cache(REDIS_URL)}
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
if EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":  # noqa: F821 - set just above
    EMAIL_BACKEND = "core.mail.ConsoleBackend"

# HTTPS everywhere. /healthz stays reachable over plain HTTP for load balancers.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Preload is opt-in (SECURE_HSTS_PRELOAD=true): once a domain is on the browsers' preload
# list, every subdomain must serve HTTPS for months, even after asking to be removed.
# Off, Django's deploy warning security.W021 ("preload not set") states that very choice,
# so it alone is silenced, and only then; every other deploy check still applies.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "core.storage.StaticStorage"},
}
# Serve files straight from the apps' static folders too, so a deployment that skipped
# collectstatic still gets its CSS (collectstatic is still the documented step).
WHITENOISE_USE_FINDERS = True
