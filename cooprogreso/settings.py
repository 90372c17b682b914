"""Cooprogreso settings: one module, driven by the environment.

Production is the default posture. Development is opted into with ``DJANGO_DEBUG=true``
(``make run`` does it); nothing else differs between environments except variables.

Embedded default: with no ``DATABASE_URL`` and no broker configured, the portal runs on
a local SQLite file (WAL, immediate transactions) and a file-system Celery broker, so a
fresh machine needs nothing but Python. ``docs/configuration.md`` lists every variable.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
VAR_DIR = Path(env.str("COOPROGRESO_VAR_DIR", default=str(BASE_DIR / "var")))

# --- Secrets -----------------------------------------------------------------------------
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY no está configurada. Defínala en el entorno (producción) o use "
            "DJANGO_DEBUG=true para desarrollo."
        )
    from cooprogreso.devsecret import development_secret_key

    SECRET_KEY = development_secret_key(VAR_DIR)

FIELD_ENCRYPTION_KEY = env.str("FIELD_ENCRYPTION_KEY", default="")
# Passkeys: the relying party is this site's host unless set (behind a proxy, set both).
WEBAUTHN_RP_ID = env.str("WEBAUTHN_RP_ID", default="")
WEBAUTHN_ORIGIN = env.str("WEBAUTHN_ORIGIN", default="")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Applications ------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "core",
    "cooprogreso",
    "ledger",
    "accounts",
    "products",
    "transfers",
    "payments",
    "cards",
    "enterprise",
]

MIDDLEWARE = [
    "cooprogreso.middleware.ClientAddressMiddleware",
    "cooprogreso.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "accounts.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "cooprogreso.middleware.CatalogGenerationMiddleware",
    "cooprogreso.middleware.ActiveCooperativeMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "cooprogreso.middleware.PrivateCacheMiddleware",
    "cooprogreso.middleware.ControlCharactersMiddleware",
]

ROOT_URLCONF = "cooprogreso.urls"
WSGI_APPLICATION = "cooprogreso.wsgi.application"
ASGI_APPLICATION = "cooprogreso.asgi.application"
# A failed CSRF check shows the portal's Spanish 403 page (the other error pages are the
# handlers in cooprogreso/urls.py).
CSRF_FAILURE_VIEW = "cooprogreso.views.csrf_failure"
# Every form field: Unicode NFC and no control characters (core/text.py).
FORM_RENDERER = "core.forms.PortalFormRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": [
                "django.templatetags.i18n",
                "django.templatetags.static",
                "template_partials.templatetags.partials",
                "core.templatetags.money",
                # After Django's: their tags, remembering what a constant argument gives.
                "core.templatetags.constants",
            ],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cooprogreso.context_processors.portal",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------------------
# PostgreSQL is the production database and the one the ledger is designed for. Without
# DATABASE_URL the portal runs on SQLite in WAL mode with IMMEDIATE transactions: writers
# (web and worker processes) take the write lock at BEGIN instead of failing mid-transaction.
# SQLite (the embedded default, or a sqlite:// DATABASE_URL) always runs in WAL mode with
# IMMEDIATE transactions and a busy timeout: the ledger relies on its single writer lock.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": ("PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL;PRAGMA busy_timeout=20000;"),
}
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
        "DB_PREPARED_STATEMENTS", default=True
    ):
        # Parameters bound by the server, and a statement run five times on a connection
        # prepared there: PostgreSQL plans it once, not on every request (planning was
        # half the database's work on the position page; docs/performance.md). Off
        # (DB_PREPARED_STATEMENTS=false) behind a pooler that cannot keep them.
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=5
        )
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["ENGINE"] = "core.db.sqlite3"
        DATABASES["default"]["OPTIONS"] = {
            **SQLITE_OPTIONS,
            **DATABASES["default"].get("OPTIONS", {}),
        }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "core.db.sqlite3",
            "NAME": VAR_DIR / "cooprogreso.sqlite3",
            "OPTIONS": SQLITE_OPTIONS,
        }
    }
# The tables' owner on PostgreSQL: `migrate` and `db_roles` connect as it and grant
# DATABASE_URL's role only what the portal needs (core/db/roles.py).
DATABASE_OWNER = (
    env.db_url("DATABASE_OWNER_URL") if env.str("DATABASE_OWNER_URL", default="") else None
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker and shared cache ------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if env.str("CACHE_URL", default=""):
    CACHES = {"default": env.cache_url("CACHE_URL")}
elif REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # Shared between the web, worker and beat processes of the embedded default.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": VAR_DIR / "cache",
        }
    }
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # The same backend, keeping its Redis client instead of building one per operation.
    CACHES["default"]["BACKEND"] = "core.cache.RedisCache"

# --- Celery ------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or REDIS_URL or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        "polling_interval": 0.5,
    }
    # The file-system transport has no broadcast exchange: no remote control.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged after it ran, and redelivered if its worker died: task bodies are
# idempotent services, so running one twice changes nothing.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Workers keep their database connections between tasks (Celery's Django fixup would close
# them around every task); cooprogreso/celery.py recycles them as Django does per request.
CELERY_DB_REUSE_MAX = 1_000_000_000
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "America/Guayaquil"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {
        "task": "cooprogreso.tasks.heartbeat",
        "schedule": env.float("HEARTBEAT_SECONDS", default=30.0),
    },
    "ledger-check": {"task": "ledger.tasks.check_ledger", "schedule": crontab(hour=2, minute=0)},
    "ledger-release-expired-holds": {
        "task": "ledger.tasks.release_expired_holds",
        "schedule": 300.0,
    },
    "products-mark-overdue": {
        "task": "products.tasks.mark_overdue_installments",
        "schedule": crontab(hour=0, minute=30),
    },
    "products-mature-term-deposits": {
        "task": "products.tasks.mature_term_deposits",
        "schedule": crontab(hour=1, minute=0),
    },
    "products-savings-interest": {
        "task": "products.tasks.capitalize_savings_interest",
        "schedule": crontab(day_of_month=1, hour=1, minute=30),
    },
    # Days 1–3: last month's estado de cuenta to subscribed members. One delivery row per
    # account and month, so the second and third runs only retry what failed.
    "products-monthly-statements": {
        "task": "products.tasks.send_monthly_statements",
        "schedule": crontab(day_of_month="1-3", hour=6, minute=0),
    },
    # Long PDFs and workbooks made in a worker are kept for a day, then deleted.
    "products-delete-expired-documents": {
        "task": "products.tasks.delete_expired_documents",
        "schedule": crontab(minute=15),
    },
    # Late each night: the statements of the credit cards whose statement day it is (and
    # any a missed night left), then their e-mails. Once per card and month.
    "cards-close-statements": {
        "task": "cards.tasks.close_card_statements",
        "schedule": crontab(hour=23, minute=45),
    },
    # Operations: codes never typed and approvals never given expire; executions a worker
    # lost are resumed (idempotent by the operation's key).
    "accounts-sweep-operations": {
        "task": "accounts.tasks.sweep_operations",
        "schedule": crontab(minute="*/5"),
    },
    # Notifications whose task was lost (a broker down or emptied) are queued again.
    "core-sweep-notifications": {
        "task": "core.tasks.sweep_notifications",
        "schedule": 300.0,
    },
    # Interbank settlement: batches due transfers, sends them, closes what was answered.
    "transfers-settlement": {
        "task": "transfers.tasks.settle_interbank_transfers",
        "schedule": crontab(minute="*/5"),
    },
    # Bill payments the biller did not answer whose resolver task was lost, and payments
    # left held by a process that died while asking the biller, are queued again.
    "payments-resolve": {
        "task": "payments.tasks.sweep_bill_payments",
        "schedule": crontab(minute="*/5"),
    },
    # Pagos programados: the due bills of every schedule, on business days (the task skips
    # holidays), in the morning and again in the afternoon — each bill is paid once.
    "payments-scheduled": {
        "task": "payments.tasks.run_due_schedules",
        "schedule": crontab(hour="7,15", minute=0, day_of_week="mon-fri"),
    },
}

# --- Authentication ----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "products:position"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Sessions, cookies and transport security --------------------------------------------
# The database backend, with the user on each row (accounts/sessions.py): blocking, locking
# or a new password ends every session of the user.
SESSION_ENGINE = "accounts.sessions"
SESSION_COOKIE_AGE = env.int("SESSION_ABSOLUTE_SECONDS", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_IDLE_MEMBER = env.int("SESSION_IDLE_SECONDS", default=5 * 60)
SESSION_IDLE_STAFF = env.int("SESSION_IDLE_STAFF_SECONDS", default=15 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Secure cookies get the __Host- prefix: the browser then refuses them unless they are
# Secure, for Path=/ and without Domain, so no subdomain or plain-HTTP page can set or
# shadow them. Browsers drop __Host- cookies that are not Secure, so development over
# plain HTTP (DJANGO_DEBUG=true or SECURE_COOKIES=false) keeps the plain names.
_COOKIE_PREFIX = "__Host-" if SESSION_COOKIE_SECURE else ""
SESSION_COOKIE_NAME = f"{_COOKIE_PREFIX}sessionid"
CSRF_COOKIE_NAME = f"{_COOKIE_PREFIX}csrftoken"
# The remembered-device cookie (accounts/login.py) follows the same rule.
DEVICE_COOKIE_NAME = f"{_COOKIE_PREFIX}cp_device"
SESSION_COOKIE_PATH = CSRF_COOKIE_PATH = "/"
SESSION_COOKIE_DOMAIN = CSRF_COOKIE_DOMAIN = None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
TRUSTED_PROXY_HOPS = env.int("TRUSTED_PROXY_HOPS", default=0)
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    # Only behind a proxy that overwrites the header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy: no inline script or style; scripts carry the request's nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "manifest-src": [SELF],
        "worker-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Internationalisation ----------------------------------------------------------------
LANGUAGE_CODE = "es"
LANGUAGES = [("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="America/Guayaquil")
USE_I18N = True
USE_TZ = True

# --- Static and media files --------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Notifications (e-mail and SMS) ------------------------------------------------------
# Development writes every message to the outbox folder, listed at /dev/outbox/.
OUTBOX_DIR = VAR_DIR / "outbox"
_default_email = "outbox" if DEBUG else "smtp://localhost:25"
_email_url = env.str("EMAIL_URL", default=_default_email)
if _email_url == "outbox":
    EMAIL_BACKEND = "core.notifications.OutboxEmailBackend"
else:
    globals().update(env.email_url_config(_email_url))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Cooprogreso <no-responder@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SMS_BACKEND = env.str(
    "SMS_BACKEND",
    default=(
        "core.notifications.OutboxSmsBackend" if DEBUG else "core.notifications.HttpSmsBackend"
    ),
)
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env.str("SMS_GATEWAY_TOKEN", default="")
SMS_SENDER = env.str("SMS_SENDER", default="COOPROGRESO")
# Seconds to wait for the gateway (to connect, and for each read): a member waits on the
# page that sends their code, and the e-mail copy goes out when the SMS fails.
SMS_GATEWAY_TIMEOUT = env.float("SMS_GATEWAY_TIMEOUT", default=3.0)
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=5.0)
# The interbank payment network (transfers/network.py): the simulator, or a real
# connector with the same interface. The simulator's directory of known accounts.
PAYMENT_NETWORK = env.str("PAYMENT_NETWORK", default="transfers.network.SimulatedNetwork")
PAYMENT_NETWORK_DIRECTORY = env.str(
    "PAYMENT_NETWORK_DIRECTORY",
    default=str(BASE_DIR / "transfers" / "data" / "network_directory.json"),
)
# The biller network (payments/network.py): the collection aggregator's connector, or
# the simulator that answers by reference (docs/payments.md).
BILLER_NETWORK = env.str("BILLER_NETWORK", default="payments.network.SimulatedBillerNetwork")
# The card processor (cards/processor.py): PIN changes and temporary PINs go to it; the
# simulator keeps them as keyed digests in its own table (docs/cards.md).
CARD_PROCESSOR = env.str("CARD_PROCESSOR", default="cards.processor.SimulatedCardProcessor")
# The portal's public address, for links in documents built without a request (the
# monthly statement's verification QR, e-mailed by a worker).
PORTAL_URL = env.str("PORTAL_URL", default="http://localhost:8000").rstrip("/")

# --- Logging: structured, to stdout, with secrets redacted -------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "core.logging.RequestIdFilter"},
        "redact": {"()": "core.logging.RedactSecretsFilter"},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
        },
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
            "filters": ["request_id", "redact"],
        },
    },
    "root": {"handlers": ["stdout"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        "celery": {"level": "INFO"},
    },
}

ADMINS = [("Operaciones", a) for a in env.list("ADMIN_EMAILS", default=[])]
