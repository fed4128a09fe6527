"""The web side is slim: it runs from requirements/web.txt alone.

A venv is built from requirements/web.txt (cached outside the project, in
$MARKETPULSE_TEST_BUILD_CACHE or ~/.cache/marketpulse-tests, by the hash of the
requirement files and the Python version, so reruns are fast; CI builds it from
scratch). In it: `check --deploy`, `collectstatic`, `migrate` on SQLite, and GET /,
/health and /api/v1/tickers through the WSGI application, then proof that torch,
transformers, praw and boto3 are neither installed nor imported.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ["torch", "transformers", "praw", "prawcore", "boto3", "botocore"]

pytestmark = pytest.mark.slow


def _requirements_key() -> str:
    digest = hashlib.sha256()
    for name in ("base.txt", "web.txt"):
        digest.update((ROOT / "requirements" / name).read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()[:16]


def web_venv() -> Path:
    """The cached web-only venv; built (atomically, under a lock) when missing."""
    # The tests' own build cache, never var/ (tests/isolation.py).
    var = Path(os.environ.get("MARKETPULSE_TEST_BUILD_CACHE") or Path.home() / ".cache" / "marketpulse-tests")
    var.mkdir(parents=True, exist_ok=True)
    target = var / f"web-venv-{_requirements_key()}"
    with open(var / "web-venv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / ".complete").exists():
            return target
        building = var / f"web-venv-building-{os.getpid()}"
        shutil.rmtree(building, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(building)], check=True, timeout=300)
        pip = subprocess.run(
            [
                str(building / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
                str(ROOT / "requirements" / "web.txt"),
            ],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if pip.returncode != 0:
            shutil.rmtree(building, ignore_errors=True)
            pytest.fail(f"pip install -r requirements/web.txt failed:\n{pip.stdout[-3000:]}\n{pip.stderr[-3000:]}")
        # venv scripts hold absolute paths; the python binary works from anywhere, and only it is used.
        shutil.rmtree(target, ignore_errors=True)
        building.rename(target)
        (target / ".complete").write_text("ok\n")
        return target


PROBE = textwrap.dedent(
    """
    import importlib.util, io, json, sys
    heavy = %(heavy)r
    installed_before = {name: importlib.util.find_spec(name) is not None for name in heavy}

    from marketpulse.wsgi import application   # django.setup() and the whole web path

    def get(path):
        environ = {
            "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "localhost",
            "SERVER_PORT": "443", "HTTP_HOST": "localhost", "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.version": (1, 0), "wsgi.url_scheme": "https", "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False,
        }
        status = []
        body = b"".join(application(environ, lambda s, h, exc_info=None: status.append((s, dict(h)))))
        return int(status[0][0].split()[0]), status[0][1].get("Content-Type", ""), body

    results = {}
    for path in ("/", "/health", "/api/v1/tickers"):
        code, ctype, body = get(path)
        results[path] = {"status": code, "content_type": ctype, "body": body[:2000].decode("utf-8", "replace")}
    # import every URLconf view module: resolve all patterns
    from django.urls import get_resolver
    get_resolver().url_patterns
    print(json.dumps({
        "results": results,
        "installed": installed_before,
        "imported": sorted(m for m in sys.modules if m.split(".")[0] in heavy),
    }))
    """
) % {"heavy": HEAVY}


@pytest.fixture(scope="module")
def slim(tmp_path_factory):
    venv = web_venv()
    work = tmp_path_factory.mktemp("slim")
    (work / "slim_settings.py").write_text(
        f"from marketpulse.settings import *  # noqa: F401,F403\nSTATIC_ROOT = {str(work / 'static')!r}\n"
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(work),
        "PYTHONPATH": f"{work}:{ROOT}",
        "DJANGO_SETTINGS_MODULE": "slim_settings",
        "DJANGO_SECRET_KEY": "slim-web-test-" + "k" * 50,
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": f"sqlite:///{work / 'web.sqlite3'}",
        "MARKETPULSE_IGNORE_DOTENV": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    python = str(venv / "bin" / "python")

    def run(*args: str, settings_module: str = "slim_settings", extra_env=None) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [python, *args],
            env={**env, "DJANGO_SETTINGS_MODULE": settings_module, **(extra_env or {})},
            cwd=work,
            capture_output=True,
            text=True,
            timeout=300,
        )
        return proc

    return {"venv": venv, "run": run, "python": python}


def test_venv_has_only_web_requirements(slim):
    proc = slim["run"]("-m", "pip", "list", "--format=json", "--disable-pip-version-check")
    assert proc.returncode == 0, proc.stderr
    names = {p["name"].lower() for p in json.loads(proc.stdout)}
    assert {"django", "gunicorn", "whitenoise", "psycopg", "django-environ"} <= names
    assert not names & {"torch", "transformers", "praw", "prawcore", "boto3", "botocore", "vadersentiment", "tqdm"}


def _collected(slim) -> None:
    proc = slim["run"](str(ROOT / "manage.py"), "collectstatic", "--noinput", "--verbosity", "0")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_check_deploy_passes(slim):
    """As the image runs (static collected, a Redis for the rate limit), every deploy check passes."""
    _collected(slim)
    proc = slim["run"](
        str(ROOT / "manage.py"),
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        extra_env={"CACHE_URL": "redis://127.0.0.1:6379/5"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "System check identified no issues" in proc.stdout


def test_check_deploy_warns_without_redis(slim):
    """Without CACHE_URL the rate limit counts in the database: check --deploy says so (W001)."""
    _collected(slim)
    proc = slim["run"](str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "marketpulse.W001" in proc.stdout + proc.stderr
    assert "marketpulse.E001" not in proc.stdout + proc.stderr


def test_pages_and_api_through_wsgi_without_heavy_packages(slim):
    for argv in (["collectstatic", "--noinput", "--verbosity", "0"], ["migrate", "--noinput", "--verbosity", "0"]):
        proc = slim["run"](str(ROOT / "manage.py"), *argv)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = slim["run"]("-c", PROBE)
    assert proc.returncode == 0, proc.stderr[-4000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    results = report["results"]
    assert results["/"]["status"] == 200, results["/"]
    assert "text/html" in results["/"]["content_type"]
    assert results["/health"]["status"] == 200
    assert json.loads(results["/health"]["body"]) == {"status": "ok"}
    assert results["/api/v1/tickers"]["status"] == 200, results["/api/v1/tickers"]
    assert results["/api/v1/tickers"]["content_type"].startswith("application/json")
    json.loads(results["/api/v1/tickers"]["body"])
    assert report["installed"] == dict.fromkeys(HEAVY, False)
    assert report["imported"] == []


def test_heavy_imports_really_fail_there(slim):
    """The probe's negative is real: each heavy import raises in the slim venv."""
    code = (
        "import importlib, json\n"
        "out = {}\n"
        f"for name in {HEAVY!r}:\n"
        "    try:\n"
        "        importlib.import_module(name); out[name] = 'imported'\n"
        "    except ModuleNotFoundError as exc:\n"
        "        out[name] = 'missing'\n"
        "print(json.dumps(out))\n"
    )
    proc = slim["run"]("-c", code)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == dict.fromkeys(HEAVY, "missing")
