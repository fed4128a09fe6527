"""scripts/cost.py (`make cost`, issue 16): the arithmetic, the inputs it reads, the promise."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import cost  # noqa: E402 (scripts/ is not a package)

PRICES = json.loads((ROOT / "infra" / "cost" / "prices.json").read_text())


def _runtimes(**overrides) -> dict:
    jobs = {
        name: {"wall_s": 10.0, "cpu_s": 2.0, "log_bytes": 1000}
        for name in (
            "scrape_new",
            "scrape_nothing",
            "sentiment_fp32",
            "sentiment_int8",
            "sentiment_empty",
            "daily_status",
        )
    }
    jobs.update(overrides)
    return {"jobs": jobs, "not_measured": {"image_pull_s": 40.0}}


def _variables(**overrides) -> dict:
    values = cost.terraform_variables(ROOT / "infra" / "variables.tf", None)
    values.update(overrides)
    return values


def test_runs_per_month_from_the_schedule_expressions():
    assert cost.runs_per_month("rate(15 minutes)", 30.4) == pytest.approx(30.4 * 96)
    assert cost.runs_per_month("rate(1 hour)", 30.4) == pytest.approx(30.4 * 24)
    assert cost.runs_per_month("rate(2 days)", 30.4) == pytest.approx(15.2)
    assert cost.runs_per_month("cron(0 4 * * ? *)", 30.4) == 30.4
    with pytest.raises(ValueError, match="cannot count"):
        cost.runs_per_month("cron(0/5 * * * ? *)", 30.4)


def test_billing_is_per_second_from_the_pull_with_a_one_minute_minimum():
    assert cost.billed_seconds(5.0, 40.0, 60) == 60
    assert cost.billed_seconds(30.2, 40.0, 60) == 71  # rounded up to the second
    # the CPU part stretches on a quarter vCPU, the waiting does not
    assert cost.process_seconds({"wall_s": 20.0, "cpu_s": 2.0}, 0.25) == pytest.approx(26.0)
    assert cost.process_seconds({"wall_s": 20.0, "cpu_s": 2.0}, 1.0) == 20.0
    assert cost.process_seconds({"wall_s": 20.0, "cpu_s": 2.0}, 2.0) == 20.0
    # the run time on a CPU of its own wins over the raw wall time of the shared machine
    assert cost.process_seconds({"wall_s": 90.0, "wall_dedicated_s": 30.0, "cpu_s": 25.0}, 1.0) == 30.0
    assert cost.hourly(1, 2, PRICES) == pytest.approx(0.01234398 + 2 * 0.00135546)


def test_each_fargate_line_is_runs_times_billed_seconds_times_the_hourly_price():
    runtimes = _runtimes(sentiment_int8={"wall_s": 50.0, "cpu_s": 45.0, "log_bytes": 5000})
    result = cost.estimate(_variables(), runtimes, PRICES, ROOT / "infra")
    lines = {line.item: line for line in result["lines"]}
    runs = 30.4 * 96
    # sentiment: 1 vCPU / 2 GiB, int8 by default: max(60, 40 + 50) = 90 s
    assert lines["Fargate Spot: sentiment"].dollars == pytest.approx(runs * 90 / 3600 * cost.hourly(1, 2, PRICES))
    # scraper: 0.25 vCPU / 0.5 GiB: 40 + 10 + 2 x 3 = 56 s -> the one-minute minimum
    assert lines["Fargate Spot: scraper"].dollars == pytest.approx(runs * 60 / 3600 * cost.hourly(0.25, 0.5, PRICES))
    assert lines["Fargate Spot: status"].dollars == pytest.approx(30.4 * 60 / 3600 * cost.hourly(0.25, 0.5, PRICES))
    assert result["total"] == pytest.approx(sum(line.dollars for line in result["lines"]))
    # fp32 is chosen by the variable
    fp32 = cost.estimate(
        _variables(sentiment_quantize=False),
        _runtimes(sentiment_fp32={"wall_s": 80.0, "cpu_s": 75.0, "log_bytes": 5000}),
        PRICES,
        ROOT / "infra",
    )
    fp32_lines = {line.item: line for line in fp32["lines"]}
    assert fp32_lines["Fargate Spot: sentiment"].dollars == pytest.approx(runs * 120 / 3600 * cost.hourly(1, 2, PRICES))


def test_secrets_backends_and_the_customer_managed_key():
    alarms = ROOT / "infra"
    ssm = {line.item: line.dollars for line in cost.estimate(_variables(), _runtimes(), PRICES, alarms)["lines"]}
    reads = 30.4 * 96 * (4 + 2) + 30.4 * 2
    assert ssm["SSM Parameter Store"] == 0.0
    assert ssm["KMS"] == pytest.approx(reads / 1e4 * 0.03)
    sm = {
        line.item: line.dollars
        for line in cost.estimate(
            _variables(secrets_backend="secretsmanager", kms_cmk_enabled=True), _runtimes(), PRICES, alarms
        )["lines"]
    }
    assert sm["Secrets Manager"] == pytest.approx(4 * 0.40 + reads / 1e4 * 0.05)
    assert sm["KMS"] == pytest.approx(1.0 + reads / 1e4 * 0.03)


def test_alarms_and_custom_metrics_are_counted_from_the_terraform():
    count, custom = cost.alarm_counts(ROOT / "infra", 3)
    assert count == 7  # a DLQ alarm per job schedule and train-stance's + no articles, items rejected, backlog
    assert [name for name, _ in custom] == ["ArticlesScraped", "ItemsRejected", "ScoreBacklog"]
    assert len(custom) <= 4


def test_tfvars_override_the_defaults(tmp_path):
    tfvars = tmp_path / "terraform.tfvars"
    tfvars.write_text('sentiment_task_size = { cpu = 2048, memory = 4096 }\nsecrets_backend = "secretsmanager"\n')
    values = cost.terraform_variables(ROOT / "infra" / "variables.tf", tfvars)
    assert values["sentiment_task_size"] == {"cpu": 2048, "memory": 4096}
    assert values["secrets_backend"] == "secretsmanager"
    assert values["log_retention_days"] == 7 and values["enable_container_insights"] is False


def test_make_cost_keeps_the_promise_at_the_default_sizes(tmp_path):
    """Issue 16: at most $4.00 a month with every alarm in place, from the committed run times."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "cost.py"), "--tfvars", str(tmp_path / "none.tfvars"), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["total"] <= 4.00, report
    items = [line["item"] for line in report["lines"]]
    assert "CloudWatch alarms" in items and "Fargate Spot: sentiment" in items
    runtimes = json.loads((ROOT / "infra" / "cost" / "measured_runtimes.json").read_text())
    for figure in ("scrape_new", "sentiment_int8", "daily_status"):
        assert f"{figure} {cost.measured_seconds(runtimes['jobs'][figure]):.2f} s" in " ".join(
            line["arithmetic"] for line in report["lines"]
        ), figure
