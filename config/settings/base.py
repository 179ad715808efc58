"""Settings shared by every environment.

Values come from the environment through django-environ (names documented in
.env.example). Each environment module (local, test, production) decides which
values are required and which have an embedded default.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A .env file is a convenience for local work; real deployments use the process environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "ninja",
    "core",
    "accounts",
    "tracking",
    "revisions",
    "rentals",
    "licenses",
    "notifications",
    "leads",
    "support",
    "payments",
]

MIDDLEWARE = [
    "core.middleware.RequestIdMiddleware",
    "core.middleware.ApiErrorEnvelopeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A view refused by a django-ratelimit decorator (block=True) gets RATELIMIT_VIEW's styled 429.
    "django_ratelimit.middleware.RatelimitMiddleware",
]

# Where an error Django answers itself (unknown route, wrong method, 400/500) is turned
# into the APIs' JSON envelope (core.middleware.ApiErrorEnvelopeMiddleware).
API_ENVELOPE_PREFIXES = ["/api/v1/", "/api/leads/", "/api/notifications", "/api/webhooks/"]

ROOT_URLCONF = "config.urls"
# A form sent with a stale CSRF token gets a styled page that sends it back to the form.
CSRF_FAILURE_VIEW = "core.views.csrf_failure"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.platform",
            ],
        },
    },
]

# One login for every account of the platform (accounts app); /compte/ sends each user
# to their role's home (accounts.roles).
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "home"
# Days a customer's e-mail verification link stays valid (then "Renvoyer le lien").
ACCOUNT_EMAIL_VERIFY_DAYS = env.int("ACCOUNT_EMAIL_VERIFY_DAYS", default=3)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a rule: Django's password-changed callback, which revokes staff API sessions.
    {"NAME": "accounts.password.RevokeStaffTokensOnPasswordChange"},
]

# French first: the customers are in Morocco, West Africa and France.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Africa/Casablanca")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Nightly PostgreSQL dumps (manage.py backup, restore). Copy them off the machine too.
BACKUP_DIR = env.path("BACKUP_DIR", default=BASE_DIR / "var" / "backups")
# A backup is deleted once older than KEEP_DAYS or beyond the KEEP_COUNT newest;
# the newest is always kept.
BACKUP_KEEP_DAYS = env.int("BACKUP_KEEP_DAYS", default=14)
BACKUP_KEEP_COUNT = env.int("BACKUP_KEEP_COUNT", default=14)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PLATFORM_NAME = env.str("PLATFORM_NAME", default="Services Plateforme")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Services Plateforme <no-reply@example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Public base URL used in e-mails and SMS (links back to /tracking/...).
SITE_URL = env.str("SITE_URL", default="http://localhost:8000")

# Outgoing SMS: the default backend only records the message in the outbox (visible in admin).
SMS_BACKEND = env.str("SMS_BACKEND", default="core.sms.OutboxBackend")
# WhatsApp messages (deposit alerts) likewise: recorded in the outbox until a provider is plugged in.
WHATSAPP_BACKEND = env.str("WHATSAPP_BACKEND", default="core.sms.OutboxBackend")
# Sent e-mails and SMS hold personal data: the outbox forgets them after this many days.
OUTBOX_RETENTION_DAYS = env.int("OUTBOX_RETENTION_DAYS", default=90)
# E-mail and SMS attempts before a message is marked "failed" (30 s, 1 min, 2 min... apart);
# staff can then retry it from the admin.
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)

# Client IP: REMOTE_ADDR, unless the request comes from one of these proxies (addresses
# or CIDR ranges, e.g. 10.0.0.0/8,::1; checked at startup), in which case the right-most
# address of X-Forwarded-For that is not a trusted proxy is used.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

# Prefixes held for services that are not built yet, so no other service can claim them.
TRACKING_RESERVED_PREFIXES = ["CAR", "PCE", "HST"]
# The hot paths' few queries (tracking lookups, the license state) are prepared on the
# server once per connection (core.db). Turn off behind a connection pooler in
# transaction mode that cannot keep prepared statements (PgBouncer before 1.21).
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
# Public tracking JSON is cached per number and language (dropped on every change).
TRACKING_JSON_CACHE_SECONDS = env.int("TRACKING_JSON_CACHE_SECONDS", default=300)
# Each process keeps what it last read of the public pages' cache (tracking pages and
# JSON, the booking form) and each client's failed lookups for this long
# (core.microcache): a change reaches other processes up to that late. 0 turns it off.
MICROCACHE_SECONDS = env.float("MICROCACHE_SECONDS", default=1.0)
# Failed tracking lookups allowed per client IP and hour before a 429.
TRACKING_FAILED_LOOKUPS_RATE = env.str("TRACKING_FAILED_LOOKUPS_RATE", default="20/h")

# --- Revisions ---
# Days the signed link in a quote's e-mail/SMS lets the customer accept or decline it
# (a re-sent link starts again; a new quote makes older links outdated at once).
REVISION_QUOTE_LINK_DAYS = env.int("REVISION_QUOTE_LINK_DAYS", default=30)
# Days a quote stays valid after it is sent (shown on the page and in the e-mail); after
# that it can no longer be accepted: staff send a new one.
REVISION_QUOTE_VALIDITY_DAYS = env.int("REVISION_QUOTE_VALIDITY_DAYS", default=30)
# Working days the workshop takes to send its diagnostic and quote (confirmation page).
REVISION_RESPONSE_DAYS = env.int("REVISION_RESPONSE_DAYS", default=2)
# Photos and videos staff attach to a revision (RevisionMedia): photos are re-encoded
# with their longest side at most MAX_SIDE pixels (and a 480 px thumbnail); the limits
# are the uploaded files' sizes, in bytes. Videos are stored as sent.
REVISION_MEDIA_IMAGE_MAX_SIDE = env.int("REVISION_MEDIA_IMAGE_MAX_SIDE", default=1600)
REVISION_MEDIA_IMAGE_MAX_BYTES = env.int("REVISION_MEDIA_IMAGE_MAX_BYTES", default=10 * 1024 * 1024)
REVISION_MEDIA_VIDEO_MAX_BYTES = env.int("REVISION_MEDIA_VIDEO_MAX_BYTES", default=20 * 1024 * 1024)
# --- Rentals ---
# Hours a rental request holds its car until staff confirm it; then it expires
# (beat job rentals.expire_holds, every 15 minutes) and the dates are free again.
RENTAL_HOLD_HOURS = env.int("RENTAL_HOLD_HOURS", default=48)

# --- Licenses (EasyFacture) ---
# Ed25519 signing keys, "key_id:base64(32-byte seed)" comma-separated, the first signs.
# Required in production; the demo and the tests may leave it empty (see below).
LICENSE_SIGNING_KEYS = env.str("LICENSE_SIGNING_KEYS", default="")
# Without LICENSE_SIGNING_KEYS, derive a key from SECRET_KEY (id "kd-<fingerprint>")?
# Only the local/demo and test settings turn this on: a production key must be a real,
# backed-up secret, not something that changes with SECRET_KEY.
LICENSE_DERIVED_SIGNING_KEY = False
# Retired public keys still accepted: "key_id:base64(32-byte public key)".
LICENSE_VERIFY_KEYS = env.str("LICENSE_VERIFY_KEYS", default="")
LICENSE_TRIALS_PER_EMAIL = env.int("LICENSE_TRIALS_PER_EMAIL", default=3)
LICENSE_RENEWAL_URL = env.str("LICENSE_RENEWAL_URL", default="https://easyfacture.com/renew")
LICENSE_RATE_TRIAL = env.str("LICENSE_RATE_TRIAL", default="3/h")
LICENSE_RATE_ACTIVATE = env.str("LICENSE_RATE_ACTIVATE", default="10/h")
LICENSE_RATE_VALIDATE = env.str("LICENSE_RATE_VALIDATE", default="100/h")
LICENSE_RATE_HEARTBEAT = env.str("LICENSE_RATE_HEARTBEAT", default="1/d")
# All heartbeats from one client IP (an office behind one address runs many machines).
LICENSE_RATE_HEARTBEAT_IP = env.str("LICENSE_RATE_HEARTBEAT_IP", default="200/h")
LICENSE_RATE_TOKEN = env.str("LICENSE_RATE_TOKEN", default="20/h")
# Staff API tokens (HS256, accounts app; the token endpoints live in the license API).
# Required in production and distinct from SECRET_KEY; the demo and tests derive one from it.
JWT_SECRET = env.str("JWT_SECRET", default="")
JWT_ACCESS_SECONDS = env.int("JWT_ACCESS_SECONDS", default=3600)
JWT_REFRESH_SECONDS = env.int("JWT_REFRESH_SECONDS", default=7 * 24 * 3600)
# Online validations are buffered in Redis and written to the activity log in bulk every
# LICENSE_VALIDATION_FLUSH_SECONDS by the beat job licenses.flush_validations (see
# licenses/recording.py): a crash loses at most that many seconds of validation records.
# Off (written at once) where no beat runs: the demo, and the test suite by default.
LICENSE_VALIDATIONS_BUFFERED = env.bool("LICENSE_VALIDATIONS_BUFFERED", default=True)
LICENSE_VALIDATION_FLUSH_SECONDS = env.int("LICENSE_VALIDATION_FLUSH_SECONDS", default=10)
LICENSE_WEBHOOK_TIMEOUT = env.int("LICENSE_WEBHOOK_TIMEOUT", default=10)
LICENSE_WEBHOOK_MAX_ATTEMPTS = env.int("LICENSE_WEBHOOK_MAX_ATTEMPTS", default=8)
# Validation and heartbeat events (IP address, client) are purged after this many days;
# trials, activations, revocations and other admin actions are kept forever. At least
# the statistics page's window (30 days), whose validations-per-day series reads them.
LICENSE_ACTIVITY_RETENTION_DAYS = env.int("LICENSE_ACTIVITY_RETENTION_DAYS", default=400)
# Outgoing webhooks reach public addresses only (no loopback, private, link-local... ranges),
# on these ports. WEBHOOK_ALLOW_LOOPBACK lets tests and local development reach a receiver
# on this machine (127.0.0.0/8, ::1) and nothing else private; production refuses to start
# with it, since it would let whoever sets a URL call this machine's own services.
WEBHOOK_ALLOWED_PORTS = env.list("WEBHOOK_ALLOWED_PORTS", cast=int, default=[80, 443])
WEBHOOK_ALLOW_LOOPBACK = env.bool("WEBHOOK_ALLOW_LOOPBACK", default=False)

# --- Leads marketplace (leads/money.py holds the rules) ---
# Commission of a lead: LEADS_COMMISSION_RATE of its estimated value, at most
# LEADS_COMMISSION_CAP dhs; the influencer earns LEADS_INFLUENCER_RATE of it.
LEADS_COMMISSION_RATE = env.str("LEADS_COMMISSION_RATE", default="0.10")
LEADS_COMMISSION_CAP = env.str("LEADS_COMMISSION_CAP", default="80.00")
LEADS_INFLUENCER_RATE = env.str("LEADS_INFLUENCER_RATE", default="0.30")
LEADS_MIN_ESTIMATED_VALUE = env.str("LEADS_MIN_ESTIMATED_VALUE", default="10.00")
# A deposit whose available amount is below this (dhs) is depleted: its campaigns pause.
LEADS_DEPLETED_BELOW = env.str("LEADS_DEPLETED_BELOW", default="1.00")
# Levels by balance ÷ the balance right after the last recharge, in percent: healthy
# above "attention", attention above "warning", warning above "critical", else critical.
LEADS_LEVEL_THRESHOLDS = {"attention": 50, "warning": 20, "critical": 10}
# The same client (e-mail or phone) on the same campaign within this many days is a duplicate.
LEADS_DUPLICATE_DAYS = env.int("LEADS_DUPLICATE_DAYS", default=30)
# Pending leads: the merchant is reminded after REMIND hours, the lead expires after
# EXPIRE hours (nightly job); staff may still validate it DISPUTE_DAYS after expiry.
LEADS_REMIND_HOURS = env.int("LEADS_REMIND_HOURS", default=48)
LEADS_EXPIRE_HOURS = env.int("LEADS_EXPIRE_HOURS", default=72)
LEADS_DISPUTE_DAYS = env.int("LEADS_DISPUTE_DAYS", default=7)
# Phone numbers written in national form ("06…") are compared with this country code.
LEADS_PHONE_COUNTRY_CODE = env.str("LEADS_PHONE_COUNTRY_CODE", default="212")
# Recharges (dhs): the dialog's suggestions, the smallest and largest amount accepted.
LEADS_RECHARGE_PRESETS = [2000, 5000, 10000]
LEADS_RECHARGE_MIN = env.int("LEADS_RECHARGE_MIN", default=500)
LEADS_RECHARGE_MAX = env.int("LEADS_RECHARGE_MAX", default=100_000)
# Influencers withdraw their earnings from this amount (dhs).
LEADS_PAYOUT_MINIMUM = env.int("LEADS_PAYOUT_MINIMUM", default=100)
# Lead creation per user (API and dashboard): generous, a burst of 20 always passes.
LEADS_RATE_CREATE = env.str("LEADS_RATE_CREATE", default="60/m")
# Marketplace accounts created per client IP (and attempts refused for an e-mail already
# in use; other refused forms do not count: accounts.signup).
LEADS_SIGNUP_RATE_PER_IP = env.str("LEADS_SIGNUP_RATE_PER_IP", default="10/h")
# Shown in the recharge dialog for bank transfers (recorded by staff in admin); without
# a RIB the dialog asks the merchant to contact the platform for it.
LEADS_BANK_TRANSFER_HOLDER = env.str("LEADS_BANK_TRANSFER_HOLDER", default="")
LEADS_BANK_TRANSFER_RIB = env.str("LEADS_BANK_TRANSFER_RIB", default="")
# The platform's legal identifiers, printed on receipts.
COMPANY_LEGAL_NAME = env.str("COMPANY_LEGAL_NAME", default="Services Plateforme SARL")
COMPANY_ADDRESS = env.str("COMPANY_ADDRESS", default="Casablanca, Maroc")
COMPANY_ICE = env.str("COMPANY_ICE", default="")
COMPANY_IF = env.str("COMPANY_IF", default="")
COMPANY_RC = env.str("COMPANY_RC", default="")
# Who receives the daily leads report (comma-separated); default: active superusers.
LEADS_REPORT_RECIPIENTS = env.list("LEADS_REPORT_RECIPIENTS", default=[])

# --- Support (tickets TCK-, contact form, conversations on tracking pages) ---
# First response due after creation, per priority: "Nh" (clock hours) or "Nbd" (business
# days: the same time on the N-th next working day, SUPPORT_BUSINESS_DAYS, 0 = Monday).
SUPPORT_FIRST_RESPONSE_TARGETS = {
    "urgent": env.str("SUPPORT_FIRST_RESPONSE_URGENT", default="1h"),
    "high": env.str("SUPPORT_FIRST_RESPONSE_HIGH", default="4h"),
    "normal": env.str("SUPPORT_FIRST_RESPONSE_NORMAL", default="1bd"),
    "low": env.str("SUPPORT_FIRST_RESPONSE_LOW", default="3bd"),
}
SUPPORT_BUSINESS_DAYS = env.list("SUPPORT_BUSINESS_DAYS", cast=int, default=[0, 1, 2, 3, 4])
# A resolved ticket nobody answers closes itself after this many days (beat, nightly).
SUPPORT_AUTO_CLOSE_DAYS = env.int("SUPPORT_AUTO_CLOSE_DAYS", default=7)
# Who is e-mailed about new tickets and customer replies nobody is assigned to
# (comma-separated); default: active staff holding support.change_ticket.
SUPPORT_STAFF_EMAILS = env.list("SUPPORT_STAFF_EMAILS", default=[])
# Attachments (images and PDF, checked by content; images lose their EXIF/GPS data).
SUPPORT_ATTACHMENT_MAX_BYTES = env.int("SUPPORT_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
SUPPORT_ATTACHMENT_MAX_FILES = env.int("SUPPORT_ATTACHMENT_MAX_FILES", default=5)
SUPPORT_IMAGE_MAX_SIDE = env.int("SUPPORT_IMAGE_MAX_SIDE", default=2000)
# A tracking page's conversation refreshes itself this often (htmx), while it is visible.
SUPPORT_THREAD_POLL_SECONDS = env.int("SUPPORT_THREAD_POLL_SECONDS", default=15)

# --- Online payments (payments app: Stripe Checkout; later CMI) ---
# Without keys (the demo, or a platform that takes no online payment) the domains say
# "online payment not configured" and staff record bank transfers in admin instead:
# none is required, in production either. The secret key and the webhook secret
# (whsec_..., from the Stripe dashboard or `stripe listen`) go together.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# The provider new checkouts use (payments.providers.PROVIDERS).
PAYMENTS_PROVIDER = env.str("PAYMENTS_PROVIDER", default="stripe")
# Seconds a call to the provider may take (no retries): then PAYMENT_PROVIDER_ERROR, a 502.
PAYMENTS_TIMEOUT_SECONDS = env.int("PAYMENTS_TIMEOUT_SECONDS", default=10)

# --- Rate limits (django-ratelimit through core.limits; rates are N/[k]s|m|h|d) ---
# Public request forms: successful submissions per e-mail and per phone (typos do not
# count), and every attempt per client IP (IPv6: per /64), a cap against floods.
PUBLIC_FORM_RATE_PER_CONTACT = env.str("PUBLIC_FORM_RATE_PER_CONTACT", default="5/h")
PUBLIC_FORM_RATE_PER_IP = env.str("PUBLIC_FORM_RATE_PER_IP", default="30/h")
# Logins: every attempt per client IP; failed attempts per username (a success is free).
ACCOUNT_LOGIN_RATE_PER_IP = env.str("ACCOUNT_LOGIN_RATE_PER_IP", default="50/h")
ACCOUNT_LOGIN_RATE_PER_USER = env.str("ACCOUNT_LOGIN_RATE_PER_USER", default="10/15m")
# Password reset requests (each sends an e-mail) per client IP.
ACCOUNT_PASSWORD_RESET_RATE_PER_IP = env.str("ACCOUNT_PASSWORD_RESET_RATE_PER_IP", default="10/h")
# Customer sign-ups per client IP (accounts created, and attempts refused for an e-mail
# already in use: probing which addresses have an account), and e-mail verification links
# asked again per account (each sends an e-mail).
ACCOUNT_SIGNUP_RATE_PER_IP = env.str("ACCOUNT_SIGNUP_RATE_PER_IP", default="10/h")
ACCOUNT_EMAIL_VERIFY_RESEND_RATE = env.str("ACCOUNT_EMAIL_VERIFY_RESEND_RATE", default="5/h")
# Support: tickets created per e-mail (contact form, API) and every attempt per IP (a
# cap that a carrier's shared IP does not reach); messages on a tracking page per number
# and per IP.
SUPPORT_TICKET_RATE_PER_EMAIL = env.str("SUPPORT_TICKET_RATE_PER_EMAIL", default="5/h")
SUPPORT_TICKET_RATE_PER_IP = env.str("SUPPORT_TICKET_RATE_PER_IP", default="20/h")
SUPPORT_MESSAGE_RATE_PER_NUMBER = env.str("SUPPORT_MESSAGE_RATE_PER_NUMBER", default="20/h")
SUPPORT_MESSAGE_RATE_PER_IP = env.str("SUPPORT_MESSAGE_RATE_PER_IP", default="60/h")
# Counters live in the shared cache (Redis), so every worker and server sees one count.
RATELIMIT_USE_CACHE = "default"
RATELIMIT_VIEW = "core.views.ratelimited"
# key="ip" in a decorator counts core.http.client_ip (trusted proxies), IPv6 per /64.
RATELIMIT_IP_META_KEY = "core.http.client_ip"
RATELIMIT_IPV6_MASK = 64

# Celery: the broker defaults to Redis when REDIS_URL is set; environments override.
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Later domains add their periodic jobs here (hourly deposit checks, nightly lead expiry...).
CELERY_BEAT_SCHEDULE: dict = {
    # Messages and webhooks whose enqueue was lost (broker down at commit, worker killed).
    "core-requeue-stuck-messages": {"task": "core.requeue_stuck_messages", "schedule": 10 * 60},
    "licenses-requeue-stuck-webhooks": {"task": "licenses.requeue_stuck_webhooks", "schedule": 10 * 60},
    # Buffered license validations to the activity log (LICENSE_VALIDATIONS_BUFFERED).
    "licenses-flush-validations": {"task": "licenses.flush_validations", "schedule": LICENSE_VALIDATION_FLUSH_SECONDS},
    # Rental requests staff did not confirm in time (RENTAL_HOLD_HOURS) free their dates.
    "rentals-expire-holds": {"task": "rentals.expire_holds", "schedule": 15 * 60},
    # Sent messages past OUTBOX_RETENTION_DAYS (personal data), in the quiet hours.
    "core-purge-sent-outbox": {
        "task": "core.purge_old_outbound_messages",
        "schedule": crontab(hour=1, minute=15),
    },
    "accounts-purge-expired-refresh-tokens": {
        "task": "accounts.purge_expired_refresh_tokens",
        "schedule": 24 * 60 * 60,
    },
    # crontab hours are in CELERY_TIMEZONE (TIME_ZONE, Africa/Casablanca by default).
    # Both jobs are safe to run twice: a beat restart or a manual run never duplicates a notice.
    # Reminders in the morning, when customers read their e-mail.
    "licenses-send-expiry-reminders": {
        "task": "licenses.send_expiry_reminders",
        "schedule": crontab(hour=8, minute=0),
    },
    # license.expired soon after midnight, for the licenses that expired during the day.
    "licenses-emit-expired": {
        "task": "licenses.emit_expired",
        "schedule": crontab(hour=0, minute=30),
    },
    # Validation/heartbeat activity past LICENSE_ACTIVITY_RETENTION_DAYS; both purges run
    # before the backup, so the next dump no longer holds the deleted rows.
    "licenses-purge-old-activity": {
        "task": "licenses.purge_old_activity",
        "schedule": crontab(hour=1, minute=30),
    },
    # Leads marketplace (leads/jobs.py). Deposit levels and the 48-hour reminders every hour.
    "leads-check-deposits": {"task": "leads.check_deposits", "schedule": crontab(minute=0)},
    "leads-remind-pending": {"task": "leads.remind_pending", "schedule": crontab(minute=5)},
    # Yesterday's figures to staff at 09:00; pending leads past LEADS_EXPIRE_HOURS at 23:00.
    "leads-daily-report": {"task": "leads.daily_report", "schedule": crontab(hour=9, minute=0)},
    "leads-expire-pending": {"task": "leads.expire_pending", "schedule": crontab(hour=23, minute=0)},
    # Resolved tickets past SUPPORT_AUTO_CLOSE_DAYS close themselves (hourly: at most an
    # hour late, and each run has little to do).
    "support-close-resolved": {"task": "support.close_resolved", "schedule": crontab(minute=20)},
    # Nightly database dump to BACKUP_DIR, with rotation (manage.py backup does the same).
    "core-backup-database": {
        "task": "core.backup_database",
        "schedule": crontab(hour=2, minute=0),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

ADMIN_URL = env.str("ADMIN_URL", default="admin/")


# Redis is on the hot paths (rate limits, cached pages, buffered validations): a Redis
# that stops answering must cost a request seconds, not hang it (each caller then fails
# open or falls back to the database).
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=2.0)


def redis_cache(url: str) -> dict:
    return {
        "BACKEND": "core.cache.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="platform"),
        "TIMEOUT": 300,
        "OPTIONS": {"socket_connect_timeout": REDIS_SOCKET_TIMEOUT, "socket_timeout": REDIS_SOCKET_TIMEOUT},
    }
