"""Settings, read from the environment (DESIGN §9).

With nothing set the service runs in development posture on a SQLite file in the project.
DEBUG=false is the production posture: a SECRET_KEY is required, cookies are secure, HSTS is on,
and `manage.py check --deploy` is clean.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=false.")
    SECRET_KEY = "development-only-key-never-used-in-production-0123456789abcdefghijkl"

# Keyed hashes of addresses (ledger subjects, erased suppressions) must survive a SECRET_KEY
# rotation, so they get their own key; by default they are derived from SECRET_KEY.
ADDRESS_HASH_KEY = env.str("ADDRESS_HASH_KEY", default="") or SECRET_KEY
# SendGrid's Event Webhook verification key (base64 DER, as SendGrid shows it, or PEM). When set,
# POST /consent/v1/email-events/sendgrid needs a valid ECDSA signature; unset, none is checked.
SENDGRID_WEBHOOK_PUBLIC_KEY = env.str("SENDGRID_WEBHOOK_PUBLIC_KEY", default="")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SERVICE_NAME = env.str("SERVICE_NAME", default="Consent service")
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Our apps, lowest layer first: later apps may import earlier ones, never the reverse.
    "customers",
    "emaillogs",
    "preferences",
    "subscriptions",
    "optout",
    # Hosted pages call the services of the apps above, so they come last.
    "pages",
    # Weighs every app above together ("may we send this?"), so it sits on top of them all.
    "decisions",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "customers.middleware.RequestIdMiddleware",
    "customers.middleware.DatabaseUnavailableMiddleware",
    "customers.middleware.ChunkedBodyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
# Vendor paths are served exactly as documented; a missing slash is never "fixed" by a redirect.
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# Database -------------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["OPTIONS"] = {
        # Writers take the lock up front, so concurrent writers wait instead of failing midway.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif _db["ENGINE"] in ("django.db.backends.postgresql", "django.db.backends.postgresql_psycopg2"):
    _db["ENGINE"] = "django.db.backends.postgresql"
    _db.setdefault("OPTIONS", {})
    # /readyz must answer 503 quickly when the database is down, not hang.
    _db["OPTIONS"].setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=3))
    _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    _db["CONN_HEALTH_CHECKS"] = True
else:
    raise ImproperlyConfigured("DATABASE_URL must name a sqlite:// or postgres:// database.")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# SQLite ignores an index's INCLUDE columns (optin_pref_cust_modified_idx): the index still
# serves there, only not from the index alone. PostgreSQL, production's database, has them.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# Auth -------------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A verified Basic credential is remembered this long, so the slow password hash runs once per
# client per window instead of on every request. A password change invalidates it at once.
BASIC_AUTH_CACHE_SECONDS = env.int("BASIC_AUTH_CACHE_SECONDS", default=300)

# I18n -------------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files -----------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Email ------------------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="consent@localhost")

# Celery -----------------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# Without a broker, tasks run in-process, so the service needs no worker to be correct.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]

# API --------------------------------------------------------------------------------------------
API_RATE_LIMIT = env.int("API_RATE_LIMIT", default=6000)
# Failed logins a minute, checked before any password hashing (0 turns a limit off): per client
# address and user name (or bearer key prefix), and per address across names.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
LOGIN_FAILURE_ADDRESS_LIMIT = env.int("LOGIN_FAILURE_ADDRESS_LIMIT", default=100)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Basic first: its WWW-Authenticate header is what turns a missing login into a 401.
        "customers.authentication.CachedBasicAuthentication",
        "customers.authentication.BearerTokenAuthentication",
        "customers.authentication.ApiKeyHeaderAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["customers.permissions.HasOrganisationRole"],
    "DEFAULT_THROTTLE_CLASSES": ["customers.throttling.ApiUserRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["customers.parsers.StrictJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "customers.schema.ConsentAutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Numbers stay numbers in JSON, never strings.
    "COERCE_DECIMAL_TO_STRING": False,
}
# A body larger than this is refused before it is parsed (10,000-item bulk calls fit easily).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
# JSON bodies are refused while parsing past these (customers.parsers): nesting depth, and values
# (array items plus object members) in the whole body. A 10,000-item bulk call with ten fields
# an item has about 110,000 values.
API_MAX_JSON_DEPTH = env.int("API_MAX_JSON_DEPTH", default=32)
API_MAX_JSON_VALUES = env.int("API_MAX_JSON_VALUES", default=250_000)
# Path and query parameters longer than this are refused (customers.api.guard).
API_MAX_PARAMETER_LENGTH = env.int("API_MAX_PARAMETER_LENGTH", default=1024)
# Seconds a client is told to wait (Retry-After) when the database is unavailable (503).
DATABASE_UNAVAILABLE_RETRY_AFTER = env.int("DATABASE_UNAVAILABLE_RETRY_AFTER", default=5)

SPECTACULAR_SETTINGS = {
    "TITLE": "Consent and preference service",
    "DESCRIPTION": (
        "One consent model served in five vendor dialects at their documented paths, "
        "plus the service's own API under /consent/v1/."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Security requirements come from each view's authentication classes (customers.schema).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "customers.schema.add_plain_views",
        "customers.schema.name_second_mounts",
    ],
}

# Security ---------------------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if not SECURE_SSL_REDIRECT:
        # TLS usually ends at the proxy in front of us, which does the redirect (DESIGN §9).
        SILENCED_SYSTEM_CHECKS = ["security.W008"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
