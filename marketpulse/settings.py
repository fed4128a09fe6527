"""Market Pulse settings, read from the environment (django-environ).

Every variable is documented in `.env.example`. Production is the default
(`DJANGO_DEBUG=false`): a secret key is then required, and HTTPS redirect, HSTS and
secure cookies are on unless a `DJANGO_SECURE_*` variable turns them off (for
example behind a TLS-terminating load balancer that talks plain HTTP to us).

This module imports nothing heavy: the web image loads it without praw, torch,
transformers or boto3 installed.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import re
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


class Env(environ.Env):
    """django-environ, strict: a value its cast cannot read is a one-line `ImproperlyConfigured`
    naming the variable (manage.py prints it as `Configuration error: ...` and exits 2).

    Three rules on top of environ's casts: a bool is one of 1/true/yes/on or 0/false/no/off
    (environ reads any other word as false); list items are stripped and empty ones
    dropped; an empty value means unset, as `.env.example` leaves optional variables.
    """

    TRUE = frozenset({"1", "true", "yes", "on"})
    FALSE = frozenset({"0", "false", "no", "off"})
    CAST_NAMES = {bool: "true or false", int: "a whole number", float: "a number"}

    @classmethod
    def parse_value(cls, value, cast):
        if cast is bool and isinstance(value, str) and value.strip().lower() not in cls.TRUE | cls.FALSE:
            raise ValueError(value)
        value = super().parse_value(value, cast)
        if cast is list:
            value = [item.strip() for item in value if item.strip()]
        return value

    def get_value(self, var, cast=None, default=environ.Env.NOTSET, parse_default=False):
        raw = self.ENVIRON.get(var)
        if raw is not None and raw.strip() == "" and default is not self.NOTSET:
            return default
        try:
            return super().get_value(var, cast=cast, default=default, parse_default=parse_default)
        except ValueError:
            raise ImproperlyConfigured(f"{var} must be {self.CAST_NAMES.get(cast, 'valid')}, not {raw!r}") from None

    def int_at_least(self, var: str, default: int, minimum: int) -> int:
        value = self.int(var, default=default)
        if value < minimum:
            raise ImproperlyConfigured(f"{var} must be at least {minimum}, not {value}")
        return value

    def choice(self, var: str, default: str, choices: tuple[str, ...], normalize=str.lower) -> str:
        value = normalize(self.str(var, default=default).strip())
        if value not in choices:
            raise ImproperlyConfigured(f"{var} must be {' or '.join(choices)}, not {value!r}")
        return value


env = Env()
# A local `.env` is a developer convenience; the real environment always wins.
if (BASE_DIR / ".env").is_file() and not env.bool("MARKETPULSE_IGNORE_DOTENV", default=False):
    env.read_env(str(BASE_DIR / ".env"), overwrite=False)


# --- Core -----------------------------------------------------------------------

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it (a long random string), "
            "or set DJANGO_DEBUG=true for local development."
        )
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "ninja",  # its Swagger UI templates and static files, for /api/v1/docs (no CDN)
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
    "marketpulse.middleware.RejectNulMiddleware",
    "marketpulse.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
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
_db_url = env.str("DATABASE_URL", default=_DEFAULT_DB_URL)


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
    DATABASES["default"]["CONN_MAX_AGE"] = env.int_at_least("DATABASE_CONN_MAX_AGE", 60, minimum=0)
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
# Empty means the default: an empty ADMIN_URL would put the admin at the site's root.
ADMIN_URL = (env.str("ADMIN_URL", default="").strip("/") or ("admin" if DEBUG else "manage-7f3c")) + "/"

# --- Security (secure by default in production) -------------------------------------

SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int_at_least("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
if env.bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False):
    # Behind a load balancer that terminates TLS and sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /health is probed over plain HTTP by the load balancer and ECS.
SECURE_REDIRECT_EXEMPT = [r"^health$"]

# --- Proxies, caches, rate limits, login lockouts ---------------------------------------
# FORWARDED_ALLOW_IPS (also read by gunicorn): the proxies whose X-Forwarded-For we believe:
# comma-separated addresses or networks (the load balancer's subnets), `*` for any.
FORWARDED_ALLOW_IPS = env.list("FORWARDED_ALLOW_IPS", default=["127.0.0.1"])
for _proxy in FORWARDED_ALLOW_IPS:
    try:
        if _proxy != "*":
            ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"FORWARDED_ALLOW_IPS must list addresses or networks (or *), not {_proxy!r}"
        ) from None

# "default": per-process memory (the pages' and API's render caches: keys carry the data's
# version). "ratelimit": shared by every worker and process; Django's database cache (table
# `mp_cache`) unless CACHE_URL names another. The API rate limit counts in it when it is
# Redis (what production needs: redis://HOST:6379/N), else in its own table
# (marketpulse.ratelimit, docs/design/rate-limit.md).
RATELIMIT_CACHE_ALIAS = "ratelimit"
CACHE_URL = env.str("CACHE_URL", default="")
if CACHE_URL:
    try:
        _shared_cache = environ.Env.cache_url_config(CACHE_URL)
    except (ImproperlyConfigured, ValueError, KeyError) as exc:
        raise ImproperlyConfigured(f"CACHE_URL is malformed: {exc}") from None
    if CACHE_URL.startswith(("redis", "rediss")) and importlib.util.find_spec("redis") is None:
        raise ImproperlyConfigured(
            "CACHE_URL is a Redis URL but the redis package is not installed (pip install redis)"
        )
else:
    _shared_cache = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "mp_cache"}
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    RATELIMIT_CACHE_ALIAS: _shared_cache,
}

# /api/v1/ requests per client address (django-ninja throttling): N/s, N/m, N/h or N/d; `off`: no limit.
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="120/m").strip()
if API_RATE_LIMIT.lower() == "off":
    API_RATE_LIMIT = ""
if API_RATE_LIMIT and not re.fullmatch(r"[1-9][0-9]*/[0-9]*(s|sec|m|min|h|hour|d|day)", API_RATE_LIMIT):
    raise ImproperlyConfigured(
        f"API_RATE_LIMIT must look like 120/m (N/s, /m, /h or /d) or be off, not {API_RATE_LIMIT!r}"
    )

# Admin logins (django-axes): after AXES_FAILURE_LIMIT failures for one username or from one
# client address, logins are refused for AXES_COOLOFF_MINUTES. Attempts and lockouts are rows
# in the database (every worker sees them), listed and deletable in the admin.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int_at_least("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env.int_at_least("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [
    item.split("+") if "+" in item else item
    for item in env.list("AXES_LOCKOUT_PARAMETERS", default=["ip_address", "username"])
]
for _item in AXES_LOCKOUT_PARAMETERS:
    if not set([_item] if isinstance(_item, str) else _item) <= {"ip_address", "username", "user_agent"}:
        raise ImproperlyConfigured(
            f"AXES_LOCKOUT_PARAMETERS must list ip_address, username, user_agent (or a+b), not {_item!r}"
        )
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "marketpulse.ratelimit.client_ip"
AXES_LOCKOUT_TEMPLATE = "marketpulse/lockout.html"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_VERBOSE = False  # no start-up banner on every manage.py command; failures and lockouts are still logged

# --- Logging ------------------------------------------------------------------------
# Plain text in a terminal; one JSON object per line with LOG_FORMAT=json (CloudWatch).

LOG_FORMAT = env.choice("LOG_FORMAT", "text", ("text", "json"))
LOG_LEVEL = env.choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), normalize=str.upper)

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

REDDIT_CLIENT_ID = env.str("REDDIT_CLIENT_ID", default="")
REDDIT_CLIENT_SECRET = env.str("REDDIT_CLIENT_SECRET", default="")
REDDIT_USER_AGENT = env.str("REDDIT_USER_AGENT", default="python:market-pulse:v1.0 (by /u/market-pulse)")
# Point praw at a Reddit-compatible server (tests, the demo's replay server).
REDDIT_OAUTH_URL = env.str("REDDIT_OAUTH_URL", default="https://oauth.reddit.com")
REDDIT_URL = env.str("REDDIT_URL", default="https://www.reddit.com")
REDDIT_SUBREDDITS = env.list("REDDIT_SUBREDDITS", default=["wallstreetbets"])
# Requests per run, a cap under Reddit's 100/minute per OAuth client.
REDDIT_REQUEST_BUDGET = env.int_at_least("REDDIT_REQUEST_BUDGET", 300, minimum=1)

# --- Sentiment (analyze_sentiment) -------------------------------------------------------

# A Hugging Face model id or a local directory saved with save_pretrained.
SENTIMENT_MODEL = env.str("SENTIMENT_MODEL", default="ProsusAI/finbert")
SENTIMENT_BACKEND = env.choice("SENTIMENT_BACKEND", "finbert", ("finbert", "vader"))
SENTIMENT_QUANTIZE = env.bool("SENTIMENT_QUANTIZE", default=False)
SENTIMENT_BATCH_SIZE = env.int_at_least("SENTIMENT_BATCH_SIZE", 32, minimum=1)
SENTIMENT_MAX_TOKENS = env.int_at_least("SENTIMENT_MAX_TOKENS", 256, minimum=8)
# torch threads for FinBERT; 0 = the CPUs the task really has (affinity mask and cgroup quota).
SENTIMENT_THREADS = env.int_at_least("SENTIMENT_THREADS", 0, minimum=0)
# The stance model store (train_stance writes versions there, analyze_sentiment reads the
# promoted one): a directory, or s3://bucket/prefix (the jobs on ECS). sentiment/stance/store.py.
STANCE_MODEL_STORE = env.str("STANCE_MODEL_STORE", default="var/stance-models").strip() or "var/stance-models"
if "://" not in STANCE_MODEL_STORE:  # a relative directory is relative to the project, not the cwd
    STANCE_MODEL_STORE = str(BASE_DIR / Path(STANCE_MODEL_STORE).expanduser())
# Where versions read from S3 are cached on local disk (empty: <tmp>/marketpulse-stance-models).
STANCE_MODEL_CACHE = env.str("STANCE_MODEL_CACHE", default="").strip()
# train_stance's second candidate: a head on this LOCAL transformer directory's embeddings
# (e.g. the same directory as SENTIMENT_MODEL in the jobs image). Empty: the linear model only.
STANCE_EMBEDDING_MODEL = env.str("STANCE_EMBEDDING_MODEL", default="").strip()

# --- Operations (daily_status, metrics, ECS) ---------------------------------------------

STALE_AFTER_MINUTES = env.int_at_least("STALE_AFTER_MINUTES", 60, minimum=1)
METRICS_NAMESPACE = env.str("METRICS_NAMESPACE", default="MarketPulse")
# The jobs' EMF metrics line: None (unset) prints it only when stdout is not a terminal.
METRICS_EMF = env.bool("METRICS_EMF", default=False) if env.str("METRICS_EMF", default="").strip() else None
AWS_REGION = env.str("AWS_REGION", default="") or env.str("AWS_DEFAULT_REGION", default="us-east-1")
ECS_CLUSTER = env.str("ECS_CLUSTER", default="market-pulse")
ECS_NAME_PREFIX = env.str("ECS_NAME_PREFIX", default="market-pulse-")
# Where `manage.py setup_secrets` writes the job secrets: ssm (SSM Parameter Store
# SecureString, the Terraform default) or secretsmanager (infra variable secrets_backend).
SECRETS_BACKEND = env.choice("SECRETS_BACKEND", "ssm", ("ssm", "secretsmanager"))

# --- Alerts (issue 29: detect_surges posts each new surge to these webhooks) -------------

# Comma-separated http(s) webhook URLs (Slack or Discord incoming webhooks, or your own).
ALERT_WEBHOOK_URLS = env.list("ALERT_WEBHOOK_URLS", default=[])
# Signs each body: header X-MarketPulse-Signature: sha256=<hex HMAC-SHA256 of the raw body>.
ALERT_WEBHOOK_SECRET = env.str("ALERT_WEBHOOK_SECRET", default="")
# The watch list (comma-separated symbols); empty = every ticker.
ALERT_SYMBOLS = [s.upper().lstrip("$") for s in env.list("ALERT_SYMBOLS", default=[])]
ALERT_MIN_SCORE = env.float("ALERT_MIN_SCORE", default=0.0)
# Connect and read timeout of one webhook POST, in seconds.
ALERT_TIMEOUT_SECONDS = env.float("ALERT_TIMEOUT_SECONDS", default=5.0)
if not 0 < ALERT_TIMEOUT_SECONDS <= 60:
    raise ImproperlyConfigured(f"ALERT_TIMEOUT_SECONDS must be more than 0 and at most 60, not {ALERT_TIMEOUT_SECONDS}")
# The site's public address (https://marketpulse.example.com), for absolute links in alerts;
# empty: the alerts carry the ticker page's path only.
SITE_URL = env.str("SITE_URL", default="").strip().rstrip("/")
