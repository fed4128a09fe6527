"""The names and values the Terraform in infra/ shares with the Python side.

`manage.py ecs`, `setup_secrets` and the EMF metrics line are written against the same
names as infra/*.tf, in parallel. These tests read the HCL as text (no Terraform needed:
the full apply against moto is `make infra-check`) and fail when one side drifts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from marketpulse import metrics
from ops import aws

INFRA = Path(__file__).resolve().parents[2] / "infra"


def _tf(name: str) -> str:
    return (INFRA / name).read_text()


def _jobs_block() -> dict[str, dict[str, str]]:
    """local.jobs in versions.tf: job -> {command, metric_job, secrets} as raw HCL values."""
    text = _tf("versions.tf")
    body = text[text.index("  jobs = {") :]
    jobs: dict[str, dict[str, str]] = {}
    for m in re.finditer(r"^    (\w+) = \{\n(.*?)^    \}", body, re.DOTALL | re.MULTILINE):
        fields = dict(re.findall(r"^      (\w+)\s+= (.+)$", m.group(2), re.MULTILINE))
        jobs[m.group(1)] = fields
    return jobs


def _hcl_list(value: str) -> list[str]:
    return json.loads(value)  # an HCL list of strings is valid JSON


def _variable_default(name: str) -> str:
    text = _tf("variables.tf")
    block = text[text.index(f'variable "{name}" {{') :]
    return re.search(r"^  default\s+= (.+)$", block, re.MULTILINE).group(1)


def test_the_three_jobs_run_the_commands_manage_py_ecs_documents():
    jobs = _jobs_block()
    assert sorted(jobs) == sorted(aws.JOBS)
    for job, command in aws.JOBS.items():
        assert _hcl_list(jobs[job]["command"]) == command.split(), job


def test_secret_names_and_environment_variables_match_setup_secrets():
    text = _tf("secrets.tf")
    pairs = dict(re.findall(r'^    "([a-z-]+)"\s+= "([A-Z_]+)"', text, re.MULTILINE))
    assert pairs == aws.SECRETS
    assert 'name                    = "${local.base_name}/${each.key}"' in text
    # every secret a job names exists
    for job, fields in _jobs_block().items():
        assert set(_hcl_list(fields["secrets"])) <= set(aws.SECRETS), job
    # the scraper needs the Reddit credentials, every job the database and the Django key
    assert set(_hcl_list(_jobs_block()["scraper"]["secrets"])) == set(aws.SECRETS)


def test_names_follow_the_prefix_manage_py_ecs_uses():
    assert _variable_default("name_prefix") == json.dumps(aws.name_prefix())
    assert 'name                         = "${var.name_prefix}${each.key}"' in _tf("schedules.tf")
    assert 'family                   = "${var.name_prefix}${each.key}"' in _tf("tasks.tf")
    assert 'name              = "/ecs/${var.name_prefix}${each.key}"' in _tf("logs.tf")
    assert aws.log_group("scraper") == "/ecs/market-pulse-scraper"
    assert aws.schedule_name("status") == aws.task_family("status") == "market-pulse-status"


def test_alarms_read_metrics_the_jobs_emit():
    jobs = _jobs_block()
    assert json.loads(jobs["scraper"]["metric_job"]) == metrics.SCRAPE
    assert json.loads(jobs["sentiment"]["metric_job"]) == metrics.SENTIMENT
    alarms = _tf("alarms.tf")
    for metric in re.findall(r'metric_name\s+= "(\w+)"', alarms):
        if metric != "ApproximateNumberOfMessagesVisible":  # AWS/SQS
            assert metric in metrics.UNITS, metric
    assert "ArticlesScraped" in alarms and "ScoreBacklog" in alarms
    # the alarms' dimension is the EMF line's only dimension set
    record = metrics.emf_record(
        command=metrics.SCRAPE,
        counters={},
        status="succeeded",
        duration_seconds=1,
        timestamp_ms=0,
    )
    assert record["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Job"]]
    assert "dimensions          = { Job = local.jobs" in alarms


def test_metrics_namespace_default_matches_the_settings_default(settings):
    assert _variable_default("metrics_namespace") == json.dumps("MarketPulse")
    assert settings.METRICS_NAMESPACE == "MarketPulse"


@pytest.mark.parametrize(
    "path",
    sorted(p.relative_to(INFRA).as_posix() for p in INFRA.rglob("*.tf") if ".terraform" not in p.parts),
)
def test_every_checkov_skip_gives_a_reason(path):
    for line in (INFRA / path).read_text().splitlines():
        if "checkov:skip=" in line:
            m = re.search(r"checkov:skip=([A-Z0-9_]+):(.*)$", line)
            assert m, f"{path}: a skip without an id: {line.strip()}"
            assert len(m.group(2).strip()) >= 20, f"{path}: {m.group(1)} is skipped without a real reason"


def test_the_moto_override_stays_out_of_the_production_configuration():
    assert not list(INFRA.glob("*_override.tf"))
    assert (INFRA / "ci" / "moto" / "moto_override.tf").is_file()
    assert 'backend "s3" {}' in _tf("versions.tf")
    # no credentials in any committed Terraform file
    for p in INFRA.rglob("*.tf"):
        text = p.read_text()
        assert not re.search(r"^\s*(access_key|secret_key)\s*=", text, re.MULTILINE), p


def test_ci_step_and_make_target_run_the_same_check_script():
    root = INFRA.parent
    assert "infra/ci/check.sh" in (root / ".ci" / "pre.d" / "30-infra.sh").read_text()
    makefile = (root / "Makefile").read_text()
    target = makefile[makefile.index("\ninfra-check:") :]
    assert "bash infra/ci/check.sh" in target.split("\n.PHONY")[0]
