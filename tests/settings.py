"""Settings for the test suite: production settings with test-only defaults.

pytest-django loads settings before any conftest runs, so the environment defaults live
here. Every state path (the stance model store and cache, the SQLite files, the Hugging
Face cache) points into one throwaway directory per session, TEST_STATE_DIR: the suite
never reads or writes the working state (var/, db.sqlite3), and tests/isolation.py fails
the session if it did. DATABASE_URL for PostgreSQL (CI) is kept.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

STATE_ENV = "MARKETPULSE_TEST_STATE_DIR"

if os.environ.get(STATE_ENV):
    # A manage.py subprocess of a test: the session's directory, and the environment the test gave it.
    TEST_STATE_DIR = Path(os.environ[STATE_ENV])
else:
    TEST_STATE_DIR = Path(tempfile.mkdtemp(prefix="marketpulse-tests-"))
    os.environ[STATE_ENV] = str(TEST_STATE_DIR)
    atexit.register(shutil.rmtree, TEST_STATE_DIR, True)
    # Set, not defaulted: a store, cache or SQLite file exported in the developer's shell
    # (make demo exports STANCE_MODEL_STORE=var/stance-models) must not reach the tests.
    os.environ["STANCE_MODEL_STORE"] = str(TEST_STATE_DIR / "stance-models")
    os.environ["STANCE_MODEL_CACHE"] = str(TEST_STATE_DIR / "stance-model-cache")
    os.environ["HF_HOME"] = str(TEST_STATE_DIR / "hf-home")
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres", "pgsql")):
        os.environ["DATABASE_URL"] = f"sqlite:///{TEST_STATE_DIR / 'db.sqlite3'}"

os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("MARKETPULSE_IGNORE_DOTENV", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# The API rate limit stays on (as in production) but out of reach of the suites that send
# hundreds of requests from one address; the tests of the limit set their own.
os.environ.setdefault("API_RATE_LIMIT", "100000/m")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from marketpulse.settings import *

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("TEST", {})["NAME"] = str(TEST_STATE_DIR / f"test-db-{os.getpid()}.sqlite3")

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
