"""gunicorn settings for the web image: `gunicorn -c gunicorn.conf.py marketpulse.wsgi`.

Workers from the CPU count (2 x cores + 1, overridable with WEB_CONCURRENCY), bind
from PORT (default 8000), one JSON object per access-log line on stdout (CloudWatch
parses it), errors on stderr.

Bad configuration is one `Configuration error: ...` line on stderr and a non-zero
exit, said once by the master, never a traceback per worker:

- the numeric variables are checked here, before gunicorn reads them;
- the Django settings are loaded here, in the master, so a malformed DATABASE_URL or
  an empty DJANGO_SECRET_KEY stops the server before it forks any worker;
- gunicorn itself `int()`s WEB_CONCURRENCY as it is imported, before any config file,
  so the image starts through this file: `python gunicorn.conf.py gunicorn ...`
  (Dockerfile.web ENTRYPOINT + CMD) checks everything, then `exec`s the command, and
  gunicorn stays PID 1 and gets ECS's SIGTERM.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
from datetime import UTC, datetime

from gunicorn.glogging import Logger  # imports no gunicorn.config, so WEB_CONCURRENCY is still ours to check


def _config_error(message: str) -> SystemExit:
    return SystemExit(f"Configuration error: {message}")


def _int_env(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name, "")
    if not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _config_error(f"{name} must be a whole number, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise _config_error(f"{name} must be at least {minimum}, not {value}")
    if maximum is not None and value > maximum:
        raise _config_error(f"{name} must be at most {maximum}, not {value}")
    return value


def _check_django_settings() -> None:
    """Load the Django settings in the master: ImproperlyConfigured is one line here, not a traceback per worker."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketpulse.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        settings.INSTALLED_APPS  # noqa: B018 - force the settings to load
    except ImproperlyConfigured as exc:
        raise _config_error(str(exc)) from None
    except ImportError as exc:
        raise _config_error(f"DJANGO_SETTINGS_MODULE={os.environ['DJANGO_SETTINGS_MODULE']!r}: {exc}") from None


wsgi_app = "marketpulse.wsgi:application"
bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{_int_env('PORT', 8000, minimum=1, maximum=65535)}"
workers = _int_env("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1, minimum=1)
threads = _int_env("GUNICORN_THREADS", 1, minimum=1)
timeout = _int_env("GUNICORN_TIMEOUT", 30, minimum=0)
graceful_timeout = 20
keepalive = 5
max_requests = _int_env("GUNICORN_MAX_REQUESTS", 2000, minimum=0)
max_requests_jitter = 200
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
if loglevel.lower() not in {"debug", "info", "warning", "error", "critical"}:
    raise _config_error(f"GUNICORN_LOG_LEVEL must be debug, info, warning, error or critical, not {loglevel!r}")

_check_django_settings()

if __name__ == "__main__":
    # The image's entrypoint: everything above passed, so run the command (gunicorn) in this process's place.
    if len(sys.argv) < 2:
        raise SystemExit("usage: python gunicorn.conf.py gunicorn --config gunicorn.conf.py APP")
    os.execvp(sys.argv[1], sys.argv[1:])


class JsonAccessLogger(Logger):
    """Access lines as JSON (json.dumps, so quotes in a user agent cannot break a line)."""

    def access(self, resp, req, environ, request_time):
        if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.logconfig_dict or self.cfg.syslog):
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        record = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "type": "access",
            "remote_addr": environ.get("REMOTE_ADDR", ""),
            "method": environ.get("REQUEST_METHOD", ""),
            "path": environ.get("PATH_INFO", ""),
            "query": environ.get("QUERY_STRING", ""),
            "status": int(status) if str(status).isdigit() else status,
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 2),
            "referer": environ.get("HTTP_REFERER", ""),
            "user_agent": environ.get("HTTP_USER_AGENT", ""),
            "forwarded_for": environ.get("HTTP_X_FORWARDED_FOR", ""),
            "pid": os.getpid(),
        }
        try:
            self.access_log.info(json.dumps(record, separators=(",", ":")))
        except Exception:
            self.exception("could not write the access log line")


logger_class = JsonAccessLogger
