"""The one way the tests start a local AWS API server (moto in server mode).

`moto_server_running(log_path)` starts `moto_server` on 127.0.0.1 and a free port,
waits until it answers, yields its URL and stops it at the end. The session fixture
`moto_endpoint` (tests/conftest.py) wraps it for most tests; the Terraform tests
(tests/infra) use it directly with their own log file. `aws_test_env(url)` is the
set of standard AWS variables that points boto3 (and Terraform) at it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _command() -> list[str]:
    exe = Path(sys.executable).with_name("moto_server")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("moto_server")
    return [found] if found else [sys.executable, "-m", "moto.server"]


@contextmanager
def moto_server_running(log_path: Path, *, timeout: float = 30.0) -> Iterator[str]:
    """`moto_server` on 127.0.0.1 and a free port; yields its URL; stopped on exit."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([*_command(), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    urllib.request.urlopen(f"{url}/moto-api/", timeout=1).read()
                    break
                except OSError:
                    if proc.poll() is not None:
                        raise RuntimeError(f"moto_server exited {proc.returncode}; see {log_path}") from None
                    if time.monotonic() > deadline:
                        raise RuntimeError(
                            f"moto_server did not answer within {timeout:.0f} s; see {log_path}"
                        ) from None
                    time.sleep(0.1)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def moto_reset(url: str) -> None:
    """Forget every resource moto holds (between tests)."""
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).read()


def aws_test_env(url: str) -> dict[str, str]:
    """Standard AWS variables pointing boto3 at `url` with dummy credentials and no local profile."""
    return {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
