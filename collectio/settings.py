"""Settings come from the environment (12-factor); defaults suit the project-local services."""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
# A development default only when DEBUG is on: production refuses to start without a real key.
SECRET_KEY = env(
    "SECRET_KEY", default="django-insecure-development-only" if DEBUG else environ.Env.NOTSET
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "collectio",
    "debtors",
    "cases",
    "dunning",
    "payments",
    "notices",
    "workspace",
    "portal",
    "backoffice",
    "api",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "collectio.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "collectio.scoping.TenantScopeMiddleware",
    "collectio.middleware.MethodNotAllowedPageMiddleware",
    # Last, as django-axes asks: it turns a lockout raised by the backend into the login page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "collectio.urls"
WSGI_APPLICATION = "collectio.wsgi.application"

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
                "collectio.context_processors.membership",
                "collectio.context_processors.agency_prerequisites",
                "dunning.context_processors.reference_rates",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://collectio@127.0.0.1:54329/collectio")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "collectio.User"
AUTHENTICATION_BACKENDS = [
    # django-axes counts failures per address and e-mail, and refuses a locked-out pair.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Login throttling: five wrong passwords for one e-mail from one address lock that pair out.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "collectio.views.axes_username"
AXES_LOCKOUT_CALLABLE = "collectio.views.login_locked_out"
# Two-factor authentication (TOTP, django-otp): the issuer authenticator apps show.
OTP_TOTP_ISSUER = "Collectio"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# Where links in e-mails point (the creditor's notifications).
SITE_URL = env("SITE_URL", default="http://localhost:8000")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Collectio <no-reply@collectio.localhost>")
# Links in e-mails (invitations) point here: the address people reach the site at.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# Letters and channels (notices/): file backends in development, real providers otherwise.
NOTICES_POST_BACKEND = env(
    "NOTICES_POST_BACKEND",
    default="notices.channels.post.FilePostBackend"
    if DEBUG
    else "notices.channels.post.PrintDropBackend",
)
NOTICES_EMAIL_BACKEND = env(
    "NOTICES_EMAIL_BACKEND",
    default="notices.channels.email.FileEmailBackend"
    if DEBUG
    else "notices.channels.email.DjangoEmailBackend",
)
NOTICES_SMS_BACKEND = env(
    "NOTICES_SMS_BACKEND",
    default="notices.channels.sms.FileSmsBackend"
    if DEBUG
    else "notices.channels.sms.HttpSmsBackend",
)
NOTICES_LRE_BACKEND = env(
    "NOTICES_LRE_BACKEND",
    default="notices.channels.lre.FileLreBackend"
    if DEBUG
    else "notices.channels.NotConfiguredBackend",
)
NOTICES_SMS_API_URL = env("NOTICES_SMS_API_URL", default="")
NOTICES_SMS_API_TOKEN = env("NOTICES_SMS_API_TOKEN", default="")
NOTICES_SMS_SENDER = env("NOTICES_SMS_SENDER", default="Info")
NOTICES_PRINT_DROP_PREFIX = "print-drop"
# Letters per print batch PDF: a day's backlog goes out as several batches, each merged and
# posted well within the task time limit (1,000 letters take about 25 s).
NOTICES_PRINT_BATCH_MAX = env.int("NOTICES_PRINT_BATCH_MAX", default=500)
if env("S3_BUCKET", default=""):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("S3_BUCKET"),
            "endpoint_url": env("S3_ENDPOINT_URL", default=None),
            "file_overwrite": False,
            "default_acl": None,
        },
    }

# HTTPS everywhere unless SECURE_COOKIES=False says the site is served over plain HTTP (tests, a
# laptop): secure cookies, the redirect to HTTPS and HSTS (a year, subdomains, preload-ready).
HTTPS_ONLY = env.bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS_ONLY)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if HTTPS_ONLY else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS_ONLY
SECURE_HSTS_PRELOAD = HTTPS_ONLY
if env.bool("BEHIND_HTTPS_PROXY", default=False):
    # Only behind a proxy that sets this header itself (and drops the client's own).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): pages load only their own static files; no inline script
# or style anywhere (the QR code is inline SVG markup, not a style).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Celery: reliable delivery; PostgreSQL stays the source of truth (design.md "Escalation").
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:63799/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
# An enqueue must fail fast when Redis is down (the outbox relay takes over), not hold a web
# worker for seconds: short connect and socket timeouts, no publish retries.
CELERY_BROKER_CONNECTION_TIMEOUT = 1.0
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
    "max_retries": 0,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The outbox (collectio/outbox.py): a claimed message whose worker died is given to another
# worker after the lease; a failed attempt waits OUTBOX_RETRY_SECONDS, doubling each time.
OUTBOX_LEASE_SECONDS = env.float("OUTBOX_LEASE_SECONDS", default=300.0)
OUTBOX_RETRY_SECONDS = env.float("OUTBOX_RETRY_SECONDS", default=30.0)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TIMEZONE = TIME_ZONE
# Seconds between two sweeps; the beat schedule itself lives in collectio/celery.py.
DUNNING_SWEEP_INTERVAL = env.float("DUNNING_SWEEP_INTERVAL", default=300.0)
# Sweeps run at once on one agency's backlog; match the worker processes available.
DUNNING_SWEEP_PARALLELISM = env.int("DUNNING_SWEEP_PARALLELISM", default=2)

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Partners send their key; people use the browsable API with their session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.KeyRateThrottle"],
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Collectio API",
    # The integration guide (authentication, errors, idempotency, webhooks): api/schema.py.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.describe",
    ],
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SECURITY": [{"ApiKey": []}],
    "ENUM_NAME_OVERRIDES": {
        "CaseStateEnum": "cases.models.CaseState",
        "ClosureCodeEnum": "cases.models.ClosureCode",
        "EventKindEnum": "cases.models.CaseEvent.Kind",
        "DebtorKindEnum": "debtors.models.Debtor.Kind",
        "DebtKindEnum": "cases.models.Claim.DebtKind",
        "PaymentMethodEnum": "payments.models.Payment.Method",
        "PaymentSourceEnum": "payments.models.Payment.Source",
    },
}
# Requests per key per window (api/throttling.py), counted in Redis.
API_RATE_LIMIT = env.int("API_RATE_LIMIT", default=600)
API_RATE_WINDOW = env.int("API_RATE_WINDOW", default=60)
# Webhook URLs on loopback or private networks, or in plain http: development and tests only.
API_WEBHOOKS_ALLOW_PRIVATE = env.bool("API_WEBHOOKS_ALLOW_PRIVATE", default=DEBUG)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # WeasyPrint, fontTools and pikepdf narrate every render at INFO, django-axes every login
    # attempt (lockouts are warnings): keep their warnings only.
    "loggers": {
        name: {"level": "WARNING"}
        for name in ("weasyprint", "weasyprint.progress", "fontTools", "pikepdf", "axes")
    },
}
