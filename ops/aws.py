"""The operator's AWS plumbing: the job names (`JOBS`), the boto3 client, one-line errors, ECR login.

boto3 is imported lazily, so the web path never loads it. See docs/design/operations.md.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings


@dataclass(frozen=True)
class Job:
    """One job of the Terraform in infra/ (a key of its `local.jobs`)."""

    command: str  # the management command its task definition runs
    schedule: str | None  # the Terraform default schedule; None: no schedule, `manage.py ecs run` only


#: The job names, the one set `manage.py ecs run`, `ecs logs` and `ecs schedules` accept; the
#: keys of `local.jobs` in infra/ (tests/infra/test_contracts.py holds them equal).
JOBS: dict[str, Job] = {
    "scraper": Job("scrape_reddit --mode incremental", "rate(15 minutes)"),
    # Scores, then judges surges and sends the alerts (run_pipeline's last two steps).
    "sentiment": Job("run_pipeline --skip scrape_reddit", "rate(15 minutes)"),
    "status": Job("daily_status", "cron(0 4 * * ? *)"),
    "train-stance": Job("train_stance --promote", "cron(0 3 ? * SUN *)"),
    "import-dump": Job("import_dump s3://BUCKET/KEY", None),
}

#: Where the job secrets can live (settings.SECRETS_BACKEND, Terraform's secrets_backend).
SECRETS_BACKENDS = ("ssm", "secretsmanager")

#: The job secrets the task definitions read, and the environment variable
#: each becomes inside the container (and the one `setup_secrets --from-env` reads).
SECRETS: dict[str, str] = {
    "django-secret-key": "DJANGO_SECRET_KEY",
    "database-url": "DATABASE_URL",
    "reddit-client-id": "REDDIT_CLIENT_ID",
    "reddit-client-secret": "REDDIT_CLIENT_SECRET",
    # Optional: Terraform creates these two only with alert_webhooks_enabled = true (secrets.tf).
    "alert-webhook-urls": "ALERT_WEBHOOK_URLS",
    "alert-webhook-secret": "ALERT_WEBHOOK_SECRET",
}
#: The secrets an install may leave out; `setup_secrets` asks for them only with --only.
OPTIONAL_SECRETS = ("alert-webhook-urls", "alert-webhook-secret")


class AwsError(Exception):
    """An AWS call failed; the message is one line an operator can act on."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code  # the AWS error code (e.g. ResourceNotFoundException), when there is one


# --- names ---------------------------------------------------------------------------------


def name_prefix() -> str:
    return settings.ECS_NAME_PREFIX


def job_name_resolve(job: str) -> str:
    """A job name (a key of JOBS), checked; AwsError otherwise."""
    resolved = job.strip().lower()
    if resolved not in JOBS:
        raise AwsError(f"unknown job {job!r}: expected one of {', '.join(JOBS)}")
    return resolved


def task_family(job: str) -> str:
    return f"{name_prefix()}{job_name_resolve(job)}"


def schedule_name(job: str) -> str:
    return f"{name_prefix()}{job_name_resolve(job)}"


def log_group(job: str) -> str:
    return f"/ecs/{name_prefix()}{job_name_resolve(job)}"


def secret_id(short: str) -> str:
    """The Secrets Manager secret name: market-pulse/<short>."""
    return f"{name_prefix().rstrip('-')}/{short}"


def parameter_name(short: str) -> str:
    """The SSM parameter name: /market-pulse/<short> (the execution role reads /market-pulse/* only)."""
    return f"/{name_prefix().rstrip('-')}/{short}"


def secret_location(short: str, *, backend: str) -> str:
    """Where a secret lives in this backend: the parameter name or the secret name."""
    return parameter_name(short) if backend == "ssm" else secret_id(short)


# --- client and errors -----------------------------------------------------------------------


def client_for(service: str, *, region: str | None = None) -> Any:
    """A boto3 client, cached per service, region and AWS_* environment (making one costs ~0.2 s)."""
    region = region or settings.AWS_REGION
    aws_env = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_")))
    key = (service, region, aws_env)
    client = _clients.get(key)
    if client is None:
        import boto3  # lazy: the web image has no boto3, and the web path never gets here

        # botocore says "Found credentials in environment variables" at INFO on every client.
        botocore_logger = logging.getLogger("botocore")
        botocore_logger.setLevel(max(botocore_logger.getEffectiveLevel(), logging.WARNING))
        client = boto3.session.Session(region_name=region).client(service)
        _clients.clear() if len(_clients) > 32 else None
        _clients[key] = client
    return client


_clients: dict[tuple, Any] = {}


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def call(what: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Call a boto3 method, turning every botocore failure into one AwsError line."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        NoCredentialsError,
        NoRegionError,
    )

    try:
        return fn(**kwargs)
    except NoCredentialsError:
        raise AwsError(
            f"{what}: no AWS credentials found (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
        ) from None
    except NoRegionError:
        raise AwsError(f"{what}: no AWS region (set AWS_REGION)") from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code", "Error")
        message = error.get("Message") or _one_line(exc)
        raise AwsError(f"{what}: {code}: {_one_line(Exception(message))}", code=code) from None
    except BotoCoreError as exc:
        raise AwsError(f"{what}: {_one_line(exc)}") from None


# --- ECR -------------------------------------------------------------------------------------------


def ecr_login() -> tuple[str, str]:
    """(registry host, password) for `docker login --username AWS --password-stdin HOST`."""
    import base64

    client = client_for("ecr")
    data = call("get ECR authorization token", client.get_authorization_token)["authorizationData"][0]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    if user != "AWS" or not password:
        raise AwsError("get ECR authorization token: unexpected token format")
    host = data.get("proxyEndpoint", "").removeprefix("https://").removeprefix("http://")
    return host, password
