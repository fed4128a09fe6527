"""`manage.py ecs` and `manage.py setup_secrets` against a real AWS API server (moto_server)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.ops.conftest import CLUSTER, PREFIX, ROOT

pytestmark = pytest.mark.slow


def run(*args: str) -> str:
    out = io.StringIO()
    err = io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def states(boto) -> dict[str, str]:
    scheduler = boto("scheduler")
    return {s["Name"]: s["State"] for s in scheduler.list_schedules()["Schedules"]}


# --- schedules -----------------------------------------------------------------------------


def test_schedules_status_lists_only_ours(stack):
    out = run("ecs", "schedules", "status")
    lines = [line for line in out.splitlines() if line.strip()]
    assert [line.split()[0] for line in lines] == [f"{PREFIX}scraper", f"{PREFIX}sentiment", f"{PREFIX}status"]
    assert all(line.split()[1] == "DISABLED" for line in lines)
    assert "rate(15 minutes)" in lines[0] and "cron(0 4 * * ? *)" in lines[2]
    assert "market-pulse-scraper:1" in lines[0]  # the task definition the schedule runs
    assert "other-team-nightly" not in out


def test_enable_all_then_disable_one(stack, boto):
    out = run("ecs", "schedules", "enable", "--all")
    assert "changed 3 of 3" in out
    after = states(boto)
    assert {after[f"{PREFIX}{j}"] for j in ("scraper", "sentiment", "status")} == {"ENABLED"}
    assert after["other-team-nightly"] == "ENABLED"

    # Everything else about the schedule survives the update (UpdateSchedule replaces it whole).
    detail = boto("scheduler").get_schedule(Name=f"{PREFIX}scraper")
    assert detail["ScheduleExpression"] == "rate(15 minutes)"
    assert detail["Description"] == "Market Pulse scraper"
    ecs_params = detail["Target"]["EcsParameters"]
    assert ecs_params["TaskDefinitionArn"] == stack["task_defs"]["scraper"]
    assert ecs_params["NetworkConfiguration"]["awsvpcConfiguration"]["Subnets"] == [stack["subnet"]]

    out = run("ecs", "schedules", "disable", "sentiment")  # the job name works as NAME
    assert f"{PREFIX}sentiment: ENABLED -> DISABLED" in out
    after = states(boto)
    assert after[f"{PREFIX}sentiment"] == "DISABLED"
    assert after[f"{PREFIX}scraper"] == "ENABLED"

    out = run("ecs", "schedules", "enable", f"{PREFIX}scraper")
    assert "already ENABLED" in out


def test_disable_all_dry_run_changes_nothing(stack, boto):
    run("ecs", "schedules", "enable", "--all")
    out = run("ecs", "schedules", "disable", "--all", "--dry-run")
    assert out.count("would change ENABLED -> DISABLED") == 3
    assert states(boto)[f"{PREFIX}scraper"] == "ENABLED"


def test_unknown_schedule_is_one_line_error(stack):
    with pytest.raises(CommandError) as excinfo:
        run("ecs", "schedules", "enable", "market-pulse-nope")
    assert excinfo.value.returncode == 1
    assert "no schedule named 'market-pulse-nope'" in str(excinfo.value)
    assert "\n" not in str(excinfo.value)


def test_enable_needs_name_or_all(stack):
    with pytest.raises(CommandError) as excinfo:
        run("ecs", "schedules", "enable")
    assert excinfo.value.returncode == 2


def test_no_schedules_with_prefix(stack):
    with pytest.raises(CommandError, match="no schedules whose names start with 'staging-'"):
        run("ecs", "schedules", "status", "--prefix", "staging-")


# --- run and tasks ------------------------------------------------------------------------------


def test_run_uses_schedule_network_and_is_listed(stack, boto):
    out = run("ecs", "run", "scraper")
    assert f"started {PREFIX}scraper task" in out
    ecs = boto("ecs")
    arns = ecs.list_tasks(cluster=CLUSTER)["taskArns"]
    assert len(arns) == 1
    task = ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"][0]
    assert task["taskDefinitionArn"] == stack["task_defs"]["scraper"]
    assert task["startedBy"] == "manage.py ecs run"
    assert task.get("capacityProviderName") == "FARGATE_SPOT"
    # moto attaches an ENI in the subnet the schedule names
    details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
    assert details["subnetId"] == stack["subnet"]

    # stop it, start another: `ecs tasks` shows both, with the stop reason
    ecs.stop_task(cluster=CLUSTER, task=arns[0], reason="Spot interruption drill")
    run("ecs", "run", "status", "--on-demand", "--command", "daily_status -v 2", "--env", "STALE_AFTER_MINUTES=90")
    out = run("ecs", "tasks")
    lines = out.splitlines()
    assert lines[0].startswith("TASK")
    rows = {line.split()[1]: line for line in lines[1:]}
    assert set(rows) == {f"{PREFIX}scraper", f"{PREFIX}status"}
    assert "Spot interruption drill" in rows[f"{PREFIX}scraper"]
    # the EXIT column is the container's exitCode as ECS reports it (moto reports 0)
    described = ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"][0]["containers"][0]
    assert described["exitCode"] == 0
    assert re.search(r"STOPPED\s.*\s0\s+Spot interruption drill$", rows[f"{PREFIX}scraper"])
    assert "STOPPED" in rows[f"{PREFIX}scraper"]
    status_task = [
        t
        for t in ecs.describe_tasks(cluster=CLUSTER, tasks=ecs.list_tasks(cluster=CLUSTER)["taskArns"])["tasks"]
        if t["taskDefinitionArn"] == stack["task_defs"]["status"]
    ][0]
    override = status_task["overrides"]["containerOverrides"][0]
    assert override == {
        "name": "status",
        "command": ["daily_status", "-v", "2"],
        "environment": [{"name": "STALE_AFTER_MINUTES", "value": "90"}],
    }
    assert status_task.get("launchType") == "FARGATE"


def test_run_dry_run_prints_request_and_starts_nothing(stack, boto):
    out = run("ecs", "run", "sentiment", "--dry-run", "--subnets", "subnet-aaa,subnet-bbb", "--security-groups", "sg-1")
    assert '"taskDefinition": "market-pulse-sentiment"' in out
    assert '"subnet-aaa"' in out and '"sg-1"' in out
    assert boto("ecs").list_tasks(cluster=CLUSTER)["taskArns"] == []


def test_run_on_missing_cluster(stack):
    with pytest.raises(CommandError) as excinfo:
        run("ecs", "run", "scraper", "--cluster", "market-pulse-gone")
    assert excinfo.value.returncode == 1
    assert "cluster 'market-pulse-gone' not found" in str(excinfo.value)


def test_tasks_on_missing_cluster(stack):
    with pytest.raises(CommandError, match="cluster 'nope' not found"):
        run("ecs", "tasks", "--cluster", "nope")


def test_run_without_schedule_needs_network(aws_env, boto):
    boto("ecs").create_cluster(clusterName=CLUSTER)
    with pytest.raises(CommandError, match="pass --subnets and --security-groups"):
        run("ecs", "run", "scraper")


# --- logs ------------------------------------------------------------------------------------------


def _put_logs(boto, job: str, messages: list[str], *, ago_seconds: int = 0) -> None:
    logs = boto("logs")
    stream = f"ecs/{job}/{os.urandom(4).hex()}"
    logs.create_log_stream(logGroupName=f"/ecs/{PREFIX}{job}", logStreamName=stream)
    now_ms = int(time.time() * 1000) - ago_seconds * 1000
    logs.put_log_events(
        logGroupName=f"/ecs/{PREFIX}{job}",
        logStreamName=stream,
        logEvents=[{"timestamp": now_ms + i, "message": m} for i, m in enumerate(messages)],
    )


def test_logs_read_back_with_since(stack, boto):
    _put_logs(boto, "scraper", ["old line"], ago_seconds=3 * 3600)
    _put_logs(boto, "scraper", ["scrape_reddit: 12 posts new", "scrape_reddit: done"])
    out = run("ecs", "logs", "scraper", "--since", "1h")
    assert "scrape_reddit: 12 posts new" in out and "scrape_reddit: done" in out
    assert out.index("12 posts new") < out.index("done")
    assert "old line" not in out
    out = run("ecs", "logs", "scraper", "--since", "4h")
    assert "old line" in out


def test_logs_follow_picks_up_new_events(stack, boto):
    import threading

    _put_logs(boto, "sentiment", ["first"])
    timer = threading.Timer(1.0, _put_logs, args=(boto, "sentiment", ["arrived later"]))
    timer.start()
    try:
        out = run("ecs", "logs", "sentiment", "--follow", "--follow-for", "4", "--poll", "0.3")
    finally:
        timer.join()
    assert out.count("first") == 1  # not repeated by the polling
    assert "arrived later" in out


def test_logs_bad_since_and_missing_group(stack, boto):
    with pytest.raises(CommandError, match="argument --since: must look like"):
        run("ecs", "logs", "status", "--since", "yesterday")
    boto("logs").delete_log_group(logGroupName=f"/ecs/{PREFIX}status")
    with pytest.raises(CommandError, match="no log group '/ecs/market-pulse-status'"):
        run("ecs", "logs", "status")


# --- credentials ---------------------------------------------------------------------------------


def test_no_credentials_is_one_line(stack, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(CommandError) as excinfo:
        run("ecs", "schedules", "status")
    assert "no AWS credentials found" in str(excinfo.value)
    assert excinfo.value.returncode == 1


def test_cli_exit_code_and_stderr(stack, aws_env, tmp_path):
    """Through a real manage.py process: one line on stderr, exit 1, no traceback."""
    env = {**os.environ, **aws_env, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "ecs", "tasks", "--cluster", "nope"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "CommandError: cluster 'nope' not found (or not ACTIVE) in us-east-1; check ECS_CLUSTER / --cluster"
    ]
    assert "Traceback" not in proc.stderr


# --- setup_secrets -----------------------------------------------------------------------------------


def test_setup_secrets_in_secrets_manager_create_then_update_without_echo(aws_env, boto, monkeypatch):
    values = {
        "SECRET_DJANGO_SECRET_KEY": "s3cr3t-key-value-0123456789",
        "SECRET_DATABASE_URL": "postgres://mp:pa55w0rd@db.internal:5432/marketpulse",
        "SECRET_REDDIT_CLIENT_ID": "client-id-xyz",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("SECRET_REDDIT_CLIENT_SECRET", raising=False)
    out = run("setup_secrets", "--from-env", "--backend", "secretsmanager")
    for value in values.values():
        assert value not in out
    assert "market-pulse/database-url: created" in out
    assert "market-pulse/reddit-client-secret: skipped" in out
    sm = boto("secretsmanager")
    assert sm.get_secret_value(SecretId="market-pulse/database-url")["SecretString"] == values["SECRET_DATABASE_URL"]

    monkeypatch.setenv("SECRET_DATABASE_URL", "postgres://mp:n3w-pa55@db.internal:5432/marketpulse")
    out = run(
        "setup_secrets",
        "--from-env",
        "--backend",
        "secretsmanager",
        "--only",
        "database-url",
        "--only",
        "reddit-client-id",
    )
    assert "market-pulse/database-url: updated" in out
    assert "market-pulse/reddit-client-id: unchanged" in out
    assert "n3w-pa55" not in out
    assert sm.get_secret_value(SecretId="market-pulse/database-url")["SecretString"].endswith(
        "n3w-pa55@db.internal:5432/marketpulse"
    )
    versions = sm.list_secret_version_ids(SecretId="market-pulse/database-url")["Versions"]
    assert len(versions) == 2

    out = run("setup_secrets", "--from-env", "--backend", "secretsmanager", "--only", "django-secret-key", "--dry-run")
    assert "would update" in out
    assert boto("ssm").describe_parameters()["Parameters"] == [], "wrote to the other backend"


def test_setup_secrets_in_ssm_by_default_create_update_keep_the_key(aws_env, boto, monkeypatch, settings):
    """Issue 16: SecureString parameters /market-pulse/<name> are the default backend. An
    update keeps the parameter's KMS key (a Terraform-made parameter under the project CMK
    must not move to aws/ssm, or the next plan shows a change)."""
    assert settings.SECRETS_BACKEND == "ssm"
    ssm = boto("ssm")
    key = boto("kms").create_key(Description="the project CMK")["KeyMetadata"]["Arn"]
    # As Terraform makes it (kms_cmk_enabled): a placeholder value under the CMK.
    ssm.put_parameter(
        Name="/market-pulse/reddit-client-id",
        Value="unset: run manage.py setup_secrets",
        Type="SecureString",
        KeyId=key,
    )
    values = {
        "SECRET_DJANGO_SECRET_KEY": "s3cr3t-key-value-0123456789",
        "SECRET_DATABASE_URL": "postgres://mp:pa55w0rd@db.internal:5432/marketpulse",
        "SECRET_REDDIT_CLIENT_ID": "client-id-xyz",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SECRET_REDDIT_CLIENT_SECRET", raising=False)
    out = run("setup_secrets", "--from-env")
    assert not any(value in out for value in values.values())
    assert "/market-pulse/database-url: created" in out
    assert "/market-pulse/reddit-client-id: updated" in out
    assert "/market-pulse/reddit-client-secret: skipped" in out

    def stored(name: str) -> dict:
        return ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]

    assert stored("/market-pulse/database-url")["Value"] == values["SECRET_DATABASE_URL"]
    assert stored("/market-pulse/database-url")["Type"] == "SecureString"
    assert stored("/market-pulse/reddit-client-id")["Value"] == "client-id-xyz"
    described = {p["Name"]: p for p in ssm.describe_parameters()["Parameters"]}
    assert described["/market-pulse/reddit-client-id"]["KeyId"] == key, "the update moved the parameter off its key"
    assert described["/market-pulse/database-url"]["KeyId"] == "alias/aws/ssm"

    out = run("setup_secrets", "--from-env", "--only", "database-url", "--only", "reddit-client-id")
    assert "/market-pulse/database-url: unchanged" in out and "/market-pulse/reddit-client-id: unchanged" in out
    monkeypatch.setenv("SECRET_DATABASE_URL", "postgres://mp:n3w-pa55@db.internal:5432/marketpulse")
    out = run("setup_secrets", "--from-env", "--only", "database-url", "--dry-run")
    assert "/market-pulse/database-url: would update" in out
    assert stored("/market-pulse/database-url")["Value"] == values["SECRET_DATABASE_URL"]
    out = run("setup_secrets", "--from-env", "--only", "database-url")
    assert "/market-pulse/database-url: updated" in out and "n3w-pa55" not in out
    assert stored("/market-pulse/database-url")["Version"] == 2
    assert boto("secretsmanager").list_secrets()["SecretList"] == [], "wrote to the other backend"


def test_setup_secrets_prompt_is_hidden(aws_env, boto, monkeypatch):
    import getpass

    from ops.management.commands import setup_secrets

    prompts = []
    answers = iter(["prompted-secret-value", "", "", ""])

    def fake_getpass(prompt):  # getpass reads from the terminal, never echoing; stand in for the person
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr(getpass, "getpass", fake_getpass)
    monkeypatch.setattr(setup_secrets.sys.stdin, "isatty", lambda: True, raising=False)
    out = run("setup_secrets")
    assert len(prompts) == 4 and "prompted-secret-value" not in out
    assert "/market-pulse/django-secret-key: created" in out
    assert out.count("skipped (no value given)") == 3
    assert (
        boto("ssm").get_parameter(Name="/market-pulse/django-secret-key", WithDecryption=True)["Parameter"]["Value"]
        == "prompted-secret-value"
    )


def test_setup_secrets_without_terminal_or_credentials(aws_env, monkeypatch):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    with pytest.raises(CommandError, match="no terminal to prompt on") as excinfo:
        run("setup_secrets")
    assert excinfo.value.returncode == 2
    monkeypatch.setenv("SECRET_DATABASE_URL", "postgres://x@y/z")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(CommandError, match="no AWS credentials found"):
        run("setup_secrets", "--from-env", "--only", "database-url")


# --- ECR login --------------------------------------------------------------------------------------


def test_ecr_password_for_docker_login(aws_env):
    host = run("ecs", "ecr-password", "--registry-only").strip()
    assert host.endswith(".amazonaws.com") and ".dkr.ecr.us-east-1." in host
    password = run("ecs", "ecr-password")
    assert password and "\n" not in password and " " not in password
