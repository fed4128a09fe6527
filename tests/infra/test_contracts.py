"""The names and values the Terraform in infra/ shares with the Python side.

`manage.py ecs`, `setup_secrets` and the EMF metrics line are written against the same
names as infra/*.tf, in parallel. These tests parse the HCL with python-hcl2 and assert on
its structure, so formatting (terraform fmt's alignment, line breaks, comments) never
matters; no Terraform needed. The full apply against moto is test_moto_apply.py
(`make infra-check`).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import pytest

from marketpulse import metrics
from ops import aws

INFRA = Path(__file__).resolve().parents[2] / "infra"
# Values as Terraform sees them: "abc", not '"abc"'; no comment or block markers.
HCL = hcl2.SerializationOptions(strip_string_quotes=True, with_comments=False, explicit_blocks=False)


@cache
def _tf(name: str) -> dict[str, Any]:
    with open(INFRA / name) as f:
        return hcl2.load(f, serialization_options=HCL)


def _blocks(name: str, kind: str) -> dict[str, Any]:
    """The `locals`/`variable` blocks of one file merged: {attribute or label: body}."""
    merged: dict[str, Any] = {}
    for block in _tf(name).get(kind, []):
        merged.update(block)
    return merged


def _resources(name: str, rtype: str) -> dict[str, dict[str, Any]]:
    """The resources of one type in one file: {label: body}."""
    return {label: body for block in _tf(name).get("resource", []) for label, body in block.get(rtype, {}).items()}


def _resource(name: str, rtype: str, label: str) -> dict[str, Any]:
    resources = _resources(name, rtype)
    assert label in resources, f"{name} has no {rtype}.{label}"
    return resources[label]


def _jobs() -> dict[str, dict[str, Any]]:
    """local.jobs in jobs.tf: job -> {command, metric_job, secrets, schedule, ...}."""
    return _blocks("jobs.tf", "locals")["jobs"]


def _variable_default(name: str) -> Any:
    return _blocks("variables.tf", "variable")[name]["default"]


def test_the_job_names_are_the_terraform_jobs():
    """One set of job names: ops.aws.JOBS, what `ecs run`, `ecs logs` and `ecs schedules` take,
    is local.jobs (jobs.tf), with the same commands and default schedules."""
    jobs = _jobs()
    assert list(aws.JOBS) == list(jobs)
    for job, fields in jobs.items():
        schedule = fields["schedule"]
        if schedule is None:  # started by `ecs run` with its own command (import-dump: the file)
            assert aws.JOBS[job].schedule is None, job
            assert fields["command"][0] == aws.JOBS[job].command.split()[0], job
        else:
            assert fields["command"] == aws.JOBS[job].command.split(), job
            assert _variable_default(schedule.removeprefix("${var.").removesuffix("}")) == aws.JOBS[job].schedule, job


def test_every_job_is_one_task_definition_and_each_scheduled_job_one_schedule():
    """No job written out on its own beside local.jobs (issue 28): the duplication is folded."""
    for path in sorted(INFRA.glob("*.tf")):
        for rtype in ("aws_ecs_task_definition", "aws_scheduler_schedule", "aws_sqs_queue", "aws_cloudwatch_log_group"):
            for label, body in _resources(path.name, rtype).items():
                assert "for_each" in body, f"{path.name}: {rtype}.{label} is not one of local.jobs"
    assert _resource("tasks.tf", "aws_ecs_task_definition", "jobs")["for_each"] == "${local.jobs}"
    assert _resource("schedules.tf", "aws_scheduler_schedule", "jobs")["for_each"] == "${local.scheduled_jobs}"
    assert _resource("logs.tf", "aws_cloudwatch_log_group", "jobs")["for_each"] == "${local.jobs}"
    moved = list(_tf("jobs.tf").get("moved", []))
    assert len(moved) == 11  # every resource of the old training.tf / import_dump.tf copies


def test_ecs_run_and_ecs_logs_take_the_same_job_names():
    from django.core.management import load_command_class

    parser = load_command_class("ops", "ecs").create_parser("manage.py", "ecs")
    subparsers = next(a for a in parser._actions if a.dest == "area").choices
    for area in ("run", "logs"):
        (job,) = [a for a in subparsers[area]._actions if a.dest == "job"]
        assert list(job.choices) == list(aws.JOBS), area


def test_secret_names_and_environment_variables_match_setup_secrets():
    secret_locals = _blocks("secrets.tf", "locals")
    assert {**secret_locals["base_secrets"], **secret_locals["alert_secrets"]} == aws.SECRETS
    assert secret_locals["secrets"] == (
        "${merge(local.base_secrets, var.alert_webhooks_enabled ? local.alert_secrets : {})}"
    )
    assert _variable_default("alert_webhooks_enabled") is False  # no placeholder URL by default
    secret = _resource("secrets.tf", "aws_secretsmanager_secret", "this")
    assert secret["for_each"] == "${local.secrets_in_ssm ? {} : local.secrets}"
    assert secret["name"] == "${local.base_name}/${each.key}"
    parameter = _resource("secrets.tf", "aws_ssm_parameter", "this")
    assert parameter["for_each"] == "${local.secrets_in_ssm ? local.secrets : {}}"
    assert parameter["name"] == "${local.ssm_parameter_path}/${each.key}"
    jobs = dict(_jobs())
    # every secret a job names exists; only the sentiment job (detect_surges) gets the alert ones
    sentiment = jobs.pop("sentiment")["secrets"]
    assert sentiment == (
        '${concat(["django-secret-key", "database-url"], var.alert_webhooks_enabled ? keys(local.alert_secrets) : [])}'
    )
    for job, fields in jobs.items():
        assert set(fields["secrets"]) <= set(secret_locals["base_secrets"]), job
    # the scraper needs the Reddit credentials, every job the database and the Django key
    assert set(jobs["scraper"]["secrets"]) == set(secret_locals["base_secrets"])


def test_names_follow_the_prefix_manage_py_ecs_uses():
    assert _variable_default("name_prefix") == aws.name_prefix()
    assert _resource("schedules.tf", "aws_scheduler_schedule", "jobs")["name"] == "${var.name_prefix}${each.key}"
    assert _resource("tasks.tf", "aws_ecs_task_definition", "jobs")["family"] == "${var.name_prefix}${each.key}"
    assert _resource("logs.tf", "aws_cloudwatch_log_group", "jobs")["name"] == "/ecs/${var.name_prefix}${each.key}"
    assert aws.log_group("scraper") == "/ecs/market-pulse-scraper"
    assert aws.schedule_name("status") == aws.task_family("status") == "market-pulse-status"


def test_alarms_read_metrics_the_jobs_emit():
    jobs = _jobs()
    assert jobs["scraper"]["metric_job"] == metrics.SCRAPE
    assert jobs["sentiment"]["metric_job"] == metrics.SENTIMENT
    alarms = _resources("alarms.tf", "aws_cloudwatch_metric_alarm")
    ours = {label: a for label, a in alarms.items() if a["namespace"] == "${var.metrics_namespace}"}
    assert {a["metric_name"] for a in ours.values()} >= {"ArticlesScraped", "ItemsRejected", "ScoreBacklog"}
    for label, alarm in ours.items():
        assert alarm["metric_name"] in metrics.UNITS, label
        # the alarms' only dimension is the EMF line's only dimension set, keyed by the job
        assert list(alarm["dimensions"]) == ["Job"], label
        assert re.fullmatch(r'\$\{local\.jobs\["\w+"\]\.metric_job\}', alarm["dimensions"]["Job"]), label
    # the others are on AWS's own namespaces (the dead-letter queues' depth)
    assert {a["namespace"] for label, a in alarms.items() if label not in ours} <= {"AWS/SQS"}
    record = metrics.emf_record(
        command=metrics.SCRAPE,
        counters={},
        status="succeeded",
        duration_seconds=1,
        timestamp_ms=0,
    )
    assert record["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Job"]]


def test_metrics_namespace_default_matches_the_settings_default(settings):
    assert _variable_default("metrics_namespace") == "MarketPulse"
    assert settings.METRICS_NAMESPACE == "MarketPulse"


@pytest.mark.parametrize(
    "path",
    sorted(p.relative_to(INFRA).as_posix() for p in INFRA.rglob("*.tf") if ".terraform" not in p.parts),
)
def test_every_checkov_skip_gives_a_reason(path):
    # Skips are comments, which carry no structure: read them as text.
    for line in (INFRA / path).read_text().splitlines():
        if "checkov:skip=" in line:
            m = re.search(r"checkov:skip=([A-Z0-9_]+):(.*)$", line)
            assert m, f"{path}: a skip without an id: {line.strip()}"
            assert len(m.group(2).strip()) >= 20, f"{path}: {m.group(1)} is skipped without a real reason"


def _keys(tree: Any) -> set[str]:
    if isinstance(tree, dict):
        return set(tree) | {k for v in tree.values() for k in _keys(v)}
    if isinstance(tree, list):
        return {k for v in tree for k in _keys(v)}
    return set()


def test_the_moto_override_stays_out_of_the_production_configuration():
    assert not list(INFRA.glob("*_override.tf"))
    assert (INFRA / "ci" / "moto" / "moto_override.tf").is_file()
    (terraform,) = _tf("versions.tf")["terraform"]
    assert terraform["backend"] == [{"s3": {}}], "the production backend is S3, partially configured"
    # no credentials in any committed Terraform file
    for p in INFRA.rglob("*.tf"):
        if ".terraform" not in p.parts:
            with open(p) as f:
                assert not _keys(hcl2.load(f, serialization_options=HCL)) & {"access_key", "secret_key"}, p


def test_ci_step_and_make_target_run_the_same_check_script():
    root = INFRA.parent
    assert "infra/ci/check.sh" in (root / ".ci" / "pre.d" / "30-infra.sh").read_text()
    makefile = (root / "Makefile").read_text()
    target = makefile[makefile.index("\ninfra-check:") :]
    assert "bash infra/ci/check.sh" in target.split("\n.PHONY")[0]
    # check.sh runs the infra tests that the main suite deselects
    assert "pytest" in (INFRA / "ci" / "check.sh").read_text()
    assert "-m infra" in (INFRA / "ci" / "check.sh").read_text()
    assert '-m "not infra"' in (root / "pytest.ini").read_text()
