"""Market Pulse settings, read from the environment (django-environ).

Every variable is documented in `.env.example`. Production is the default
(`DJANGO_DEBUG=false`): a secret key is then required, and HTTPS redirect, HSTS and
secure cookies are on unless a `DJANGO_SECURE_*` variable turns them off (for
example behind a TLS-terminating load balancer that talks plain HTTP to us).

This module imports nothing heavy: the web image loads it without praw, torch,
transformers or boto3 installed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local `.env` is a developer convenience; the real environment always wins.
if (BASE_DIR / ".env").is_file() and not os.environ.get("MARKETPULSE_IGNORE_DOTENV"):
    env.read_env(str(BASE_DIR / ".env"), overwrite=False)


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def _int(name: str, default: int, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def _list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


# --- Core -----------------------------------------------------------------------

DEBUG = _bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it (a long random string), "
            "or set DJANGO_DEBUG=true for local development."
        )
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"

ALLOWED_HOSTS = _list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = _list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "marketpulse",
    "articles",
    "ingest",
    "sentiment",
    "ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "marketpulse.middleware.SecurityHeadersMiddleware",
    "marketpulse.middleware.PublicCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "marketpulse.urls"
WSGI_APPLICATION = "marketpulse.wsgi.application"

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

# --- Database -------------------------------------------------------------------
# DATABASE_URL chooses the database; the embedded default is a SQLite file in the
# project directory, so a laptop needs no server.

_DEFAULT_DB_URL = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
_db_url = os.environ.get("DATABASE_URL") or _DEFAULT_DB_URL


def _parse_database_url(url: str) -> dict:
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(
            "DATABASE_URL is malformed: expected sqlite:///PATH or "
            f"postgres://USER:PASSWORD@HOST:PORT/NAME, got scheme {scheme or '(none)'!r}"
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a non-numeric port
        config = environ.Env.db_url_config(url)
    except (ValueError, KeyError) as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}") from None
    if scheme != "sqlite" and not config.get("NAME"):
        raise ImproperlyConfigured("DATABASE_URL is malformed: no database name after the host")
    return config


DATABASES = {"default": _parse_database_url(_db_url)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Tests run commands in subprocesses (kill tests, concurrent workers), so the
    # SQLite test database is a file rather than memory. WAL lets readers and one
    # writer overlap; the timeout rides out a short write lock.
    # One file per test process, so two suites can run side by side.
    DATABASES["default"].setdefault("TEST", {})["NAME"] = str(BASE_DIR / "var" / f"test-db-{os.getpid()}.sqlite3")
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = _int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth, i18n, static -----------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or "pytest" in sys.modules
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# The admin lives at ADMIN_URL; production should pick a path of its own.
ADMIN_URL = os.environ.get("ADMIN_URL", "admin/" if DEBUG else "manage-7f3c/").strip("/") + "/"

# --- Security (secure by default in production) -------------------------------------

SECURE_SSL_REDIRECT = _bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = _int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = _bool("DJANGO_SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = _bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
if _bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    # Behind a load balancer that terminates TLS and sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Admin login throttling (marketpulse.admin_site): failed logins per username or client
# address before further attempts are refused, and the window they are counted in.
ADMIN_LOGIN_MAX_FAILURES = 5
ADMIN_LOGIN_LOCKOUT_SECONDS = 15 * 60
# /health is probed over plain HTTP by the load balancer and ECS.
SECURE_REDIRECT_EXEMPT = [r"^health$"]

# --- Logging ------------------------------------------------------------------------
# Plain text in a terminal; one JSON object per line with LOG_FORMAT=json (CloudWatch).

LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}")
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").strip().upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "marketpulse.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "stream": "ext://sys.stderr"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "urllib3": {"level": "WARNING"},
        "prawcore": {"level": "WARNING"},
    },
}

# --- Reddit (scrape_reddit) --------------------------------------------------------------

REDDIT_CLIENT_ID = os.environ.get("REDDIT_CLIENT_ID", "")
REDDIT_CLIENT_SECRET = os.environ.get("REDDIT_CLIENT_SECRET", "")
REDDIT_USER_AGENT = os.environ.get("REDDIT_USER_AGENT", "python:market-pulse:v1.0 (by /u/market-pulse)")
# Point praw at a Reddit-compatible server (tests, the demo's replay server).
REDDIT_OAUTH_URL = os.environ.get("REDDIT_OAUTH_URL", "https://oauth.reddit.com")
REDDIT_URL = os.environ.get("REDDIT_URL", "https://www.reddit.com")
REDDIT_SUBREDDITS = _list("REDDIT_SUBREDDITS", ["wallstreetbets"])
# Requests per run, a cap under Reddit's 100/minute per OAuth client.
REDDIT_REQUEST_BUDGET = _int("REDDIT_REQUEST_BUDGET", 300, minimum=1)

# --- Sentiment (analyze_sentiment) -------------------------------------------------------

# A Hugging Face model id or a local directory saved with save_pretrained.
SENTIMENT_MODEL = os.environ.get("SENTIMENT_MODEL", "ProsusAI/finbert")
SENTIMENT_BACKEND = os.environ.get("SENTIMENT_BACKEND", "finbert").strip().lower()
if SENTIMENT_BACKEND not in {"finbert", "vader"}:
    raise ImproperlyConfigured(f"SENTIMENT_BACKEND must be finbert or vader, not {SENTIMENT_BACKEND!r}")
SENTIMENT_QUANTIZE = _bool("SENTIMENT_QUANTIZE", False)
SENTIMENT_BATCH_SIZE = _int("SENTIMENT_BATCH_SIZE", 32, minimum=1)
SENTIMENT_MAX_TOKENS = _int("SENTIMENT_MAX_TOKENS", 256, minimum=8)
# torch threads for FinBERT; 0 = the CPUs the task really has (affinity mask and cgroup quota).
SENTIMENT_THREADS = _int("SENTIMENT_THREADS", 0, minimum=0)

# --- Operations (daily_status, metrics, ECS) ---------------------------------------------

STALE_AFTER_MINUTES = _int("STALE_AFTER_MINUTES", 60, minimum=1)
METRICS_NAMESPACE = os.environ.get("METRICS_NAMESPACE", "MarketPulse")
AWS_REGION = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
ECS_CLUSTER = os.environ.get("ECS_CLUSTER", "market-pulse")
ECS_NAME_PREFIX = os.environ.get("ECS_NAME_PREFIX", "market-pulse-")
# Where `manage.py setup_secrets` writes the job secrets: ssm (SSM Parameter Store
# SecureString, the Terraform default) or secretsmanager (infra variable secrets_backend).
SECRETS_BACKEND = os.environ.get("SECRETS_BACKEND", "ssm").strip().lower()
if SECRETS_BACKEND not in {"ssm", "secretsmanager"}:
    raise ImproperlyConfigured(f"SECRETS_BACKEND must be ssm or secretsmanager, not {SECRETS_BACKEND!r}")
