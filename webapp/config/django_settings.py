"""Django settings, derived from the one typed settings object."""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from webapp.config.security_headers import security_header_settings
from webapp.config.settings import get_settings
from webapp.sso.django_config import sso_django_settings

ENCLAVE = get_settings()

BASE_DIR = ENCLAVE.home_dir
SECRET_KEY = ENCLAVE.secret_key_value()
DEBUG = ENCLAVE.debug
ALLOWED_HOSTS = list(ENCLAVE.allowed_hosts)
CSRF_TRUSTED_ORIGINS = list(ENCLAVE.csrf_trusted_origins)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "webapp.core",
    "webapp.accounts",
    "webapp.knowledge",
    "webapp.chat",
    "webapp.audit",
    "webapp.evalsets",
    "webapp.web",
    "webapp.api",
    "webapp.sso",
    "webapp.scim",
    "mozilla_django_oidc",
]

# Django's and WhiteNoise's middleware, in this order, run as one synchronous chain
# (webapp/config/middleware.py says why).
MIDDLEWARE = [
    f"webapp.config.middleware.{name}"
    for name in (
        # First: every log line of the request, the stack's own included, carries its id.
        "RequestIdMiddleware",
        # It times the whole stack and sees every status, WhiteNoise's included.
        "RequestMetricsMiddleware",
        "SecurityMiddleware",
        "WhiteNoiseMiddleware",
        "SessionMiddleware",
        "LocaleMiddleware",
        "CommonMiddleware",
        "CsrfViewMiddleware",
        "AuthenticationMiddleware",
        "MessageMiddleware",
        "XFrameOptionsMiddleware",
        "ContentSecurityPolicyMiddleware",
    )
] + ["webapp.web.password_gate.PasswordChangeGate"]

ROOT_URLCONF = "webapp.config.urls"
ASGI_APPLICATION = "webapp.config.asgi.application"
WSGI_APPLICATION = "webapp.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

DATABASES = {"default": dj_database_url.parse(ENCLAVE.database_url_or_default(), conn_max_age=0)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Django's backend, with the process's writers queueing on a lock instead of
    # SQLite's sleeping busy handler (webapp/core/sqlite/base.py says why).
    DATABASES["default"]["ENGINE"] = "webapp.core.sqlite"
    # A SQLite connection is a file handle: keep each thread's open instead of paying
    # a connect (and its PRAGMAs) at every answer step; PostgreSQL keeps closing.
    DATABASES["default"]["CONN_MAX_AGE"] = None
    # WAL lets the web process read while the in-process worker writes. secure_delete:
    # deleted content (an erased document's rows, answers rewritten at erasure) is
    # overwritten in the file, not left in free pages (webapp/knowledge/erasure.py).
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA secure_delete=ON;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": str(ENCLAVE.home_dir / "test-enclave.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "chat"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
# pt-br first: a browser asking plain "pt" (and a saved "pt" cookie from before the
# split) gets the closest variant Django finds, the first "pt-*" listed here.
LANGUAGES = [
    ("en", "English"),
    ("pt-br", "Português (Brasil)"),
    ("pt-pt", "Português (Portugal)"),
]
TIME_ZONE = "UTC"
USE_I18N = True
# English is the source language; webapp/locale holds the other catalogues (.po and .mo).
LOCALE_PATHS = [Path(__file__).resolve().parents[1] / "locale"]
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = ENCLAVE.home_dir / "staticfiles"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = ENCLAVE.uploads_dir

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
if ENCLAVE.embedded:
    # One web process owns the embedded index, so its memory is a cache every request
    # sees: sessions are read from it, not the database (written through, and a
    # logout deletes the entry). Several web processes (a Qdrant server) keep the
    # database engine, as a local cache in one would miss another's logout.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# AUTHENTICATION_BACKENDS (local, OIDC, LDAP), OIDC_*, AUTH_LDAP_*, secure cookies.
globals().update(sso_django_settings(ENCLAVE))
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Response headers (webapp/config/middleware.py adds the Content-Security-Policy).
globals().update(security_header_settings(ENCLAVE))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(request_tag)s%(message)s"},
        "json": {"()": "webapp.config.logs.JsonFormatter"},
    },
    "filters": {
        "quantizer": {"()": "webapp.config.log_filters.DropQuantizerChatter"},
        "request_id": {"()": "webapp.config.logs.RequestIdFilter"},
    },
    # StreamHandler writes to stderr: never into a command's output on stdout.
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": ENCLAVE.log_format,
            "filters": ["quantizer", "request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"httpx": {"level": "WARNING"}, "sentence_transformers": {"level": "WARNING"}},
}

# The HTTP API (webapp/api): token auth only, JSON only, errors as {code, message}.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["webapp.api.auth.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["webapp.api.auth.HasTokenScope"],
    "DEFAULT_THROTTLE_CLASSES": ["webapp.api.throttling.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "webapp.api.parsers.LimitedJSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "webapp.api.parsers.JSONOnlyNegotiation",
    "DEFAULT_SCHEMA_CLASS": "webapp.api.schema.EnclaveAutoSchema",
    "EXCEPTION_HANDLER": "webapp.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Enclave API",
    "DESCRIPTION": (
        "REST API and OpenAI-compatible endpoints of Enclave. Authenticate with "
        "`Authorization: Bearer <token>` (create one with `enclave token create`)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No badge from validator.swagger.io: the docs page loads nothing from elsewhere.
    "SWAGGER_UI_SETTINGS": {"validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"DocumentStatusEnum": "webapp.knowledge.models.DocumentStatus"},
}
