"""Settings for the test suite: production settings with test-only defaults.

pytest-django loads settings before any conftest runs, so the environment
defaults live here. Anything already set in the environment (DATABASE_URL in CI)
wins.
"""

import os
from pathlib import Path

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
(Path(__file__).resolve().parent.parent / "var").mkdir(exist_ok=True)

from marketpulse.settings import *

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
