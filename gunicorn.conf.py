"""gunicorn settings for the web image: `gunicorn -c gunicorn.conf.py marketpulse.wsgi`.

Workers from the CPU count (2 x cores + 1, overridable with WEB_CONCURRENCY), bind
from PORT (default 8000), one JSON object per access-log line on stdout (CloudWatch
parses it), errors on stderr. Nothing here imports Django.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from datetime import UTC, datetime

from gunicorn.glogging import Logger


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    try:
        return int(raw) if raw.strip() else default
    except ValueError:
        raise SystemExit(f"Configuration error: {name} must be a whole number, not {raw!r}") from None


wsgi_app = "marketpulse.wsgi:application"
bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{_int_env('PORT', 8000)}"
workers = max(1, _int_env("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = max(1, _int_env("GUNICORN_THREADS", 1))
timeout = _int_env("GUNICORN_TIMEOUT", 30)
graceful_timeout = 20
keepalive = 5
max_requests = _int_env("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = 200
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


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
