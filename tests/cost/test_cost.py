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
    jobs["detect_surges_live"] = {"wall_s": 4.0, "cpu_s": 2.0, "log_bytes": 500}
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
    # sentiment: 1 vCPU / 2 GiB, int8 by default, then detect_surges: max(60, 40 + 50 + 4) = 94 s
    assert lines["Fargate Spot: sentiment"].dollars == pytest.approx(runs * 94 / 3600 * cost.hourly(1, 2, PRICES))
    assert "sentiment_int8 50.00 s + detect_surges_live 4.00 s" in lines["Fargate Spot: sentiment"].arithmetic
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
    assert fp32_lines["Fargate Spot: sentiment"].dollars == pytest.approx(runs * 124 / 3600 * cost.hourly(1, 2, PRICES))


def test_the_alert_secrets_count_only_when_enabled():
    off = cost.estimate(_variables(), _runtimes(), PRICES, ROOT / "infra")
    on = cost.estimate(_variables(alert_webhooks_enabled=True), _runtimes(), PRICES, ROOT / "infra")
    (ssm_off,) = [line.arithmetic for line in off["lines"] if line.item == "SSM Parameter Store"]
    (ssm_on,) = [line.arithmetic for line in on["lines"] if line.item == "SSM Parameter Store"]
    assert ssm_off.startswith("4 standard") and ssm_on.startswith("6 standard")
    runs = 30.4 * 96
    reads = lambda text: float(text.split(" + ")[1].split(" ")[0].replace(",", ""))  # noqa: E731
    assert reads(ssm_on) - reads(ssm_off) == pytest.approx(2 * runs, abs=1)


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
    assert cost.scheduled_job_count(ROOT / "infra") == 4  # scraper, sentiment, status, train-stance
    count, custom = cost.alarm_counts(ROOT / "infra")
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


def _make_cost(tfvars: Path, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "cost.py"), "--tfvars", str(tfvars), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done


def test_make_cost_keeps_the_promise_at_the_default_sizes_in_public_mode(tmp_path):
    """Issue 16: at most $4.00 a month with every alarm in place, from the committed run times,
    network included: public subnets, no NAT gateway (issue 28)."""
    tfvars = tmp_path / "terraform.tfvars"
    tfvars.write_text('network_mode = "public"\n')
    report = json.loads(_make_cost(tfvars, "--json").stdout)
    assert report["network_mode"] == "public"
    assert report["total"] <= 4.00, report
    assert "Network (public): public IPv4" in [line["item"] for line in report["lines"]]
    items = [line["item"] for line in report["lines"]]
    assert "CloudWatch alarms" in items and "Fargate Spot: sentiment" in items
    runtimes = json.loads((ROOT / "infra" / "cost" / "measured_runtimes.json").read_text())
    for figure in ("scrape_new", "sentiment_int8", "daily_status"):
        assert f"{figure} {cost.measured_seconds(runtimes['jobs'][figure]):.2f} s" in " ".join(
            line["arithmetic"] for line in report["lines"]
        ), figure


# --- network_mode (issue 28): the network is in the total ---------------------------------------


def _network(result: dict) -> dict[str, float]:
    return {line.item: line.dollars for line in result["lines"] if line.item.startswith("Network")}


def test_private_mode_counts_the_nat_gateway_hours_and_the_image_pulls_it_processes():
    result = cost.estimate(_variables(network_mode="private"), _runtimes(), PRICES, ROOT / "infra")
    starts = 30.4 * 96 * 2 + 30.4  # scraper and sentiment every 15 minutes, status daily
    assert _network(result) == {
        "Network (private): NAT gateway": pytest.approx(30.4 * 24 * 0.045),  # ~$33
        "Network (private): NAT data": pytest.approx(starts * 0.75 * 0.045),  # ~$198
    }
    assert 32 < _network(result)["Network (private): NAT gateway"] < 34
    assert 197 < _network(result)["Network (private): NAT data"] < 199
    assert result["total"] == pytest.approx(sum(line.dollars for line in result["lines"]))
    assert result["network_mode"] == "private"
    # an S3 gateway endpoint takes the image layers off the NAT gateway
    endpoint = cost.estimate(
        _variables(network_mode="private", s3_gateway_route_table_ids=["rtb-0abc"]), _runtimes(), PRICES, ROOT / "infra"
    )
    assert _network(endpoint)["Network (private): NAT data"] == 0.0
    assert _network(endpoint)["Network (private): NAT gateway"] == pytest.approx(30.4 * 24 * 0.045)


def test_public_mode_pays_a_public_ipv4_address_per_task_hour_and_no_nat():
    variables = _variables(network_mode="public")
    result = cost.estimate(variables, _runtimes(), PRICES, ROOT / "infra")
    task_hours = sum(
        line.dollars / cost.hourly(variables[size]["cpu"] / 1024, variables[size]["memory"] / 1024, PRICES)
        for line in result["lines"]
        for job, (size, *_rest) in cost.JOBS.items()
        if line.item == f"Fargate Spot: {job}"
    )
    assert _network(result) == {"Network (public): public IPv4": pytest.approx(task_hours * 0.005)}
    private = cost.estimate(_variables(network_mode="private"), _runtimes(), PRICES, ROOT / "infra")
    assert private["total"] - result["total"] == pytest.approx(
        sum(_network(private).values()) - sum(_network(result).values())
    )
    assert any("network_mode = 'private' instead" in note for note in result["notes"])
    with pytest.raises(ValueError, match="network_mode"):
        cost.estimate(_variables(network_mode="nat"), _runtimes(), PRICES, ROOT / "infra")


def test_make_cost_says_which_network_mode_its_total_assumes(tmp_path):
    out = _make_cost(tmp_path / "none.tfvars").stdout
    total = next(line for line in out.splitlines() if line.strip().startswith("TOTAL"))
    assert total.rstrip().endswith("with network_mode = 'private'")  # the variable's default
    assert "network_mode = 'private'" in out.splitlines()[0]
    assert "Network (private): NAT gateway" in out and "Network (private): NAT data" in out
    (tmp_path / "public.tfvars").write_text('network_mode = "public"\n')
    out = _make_cost(tmp_path / "public.tfvars").stdout
    assert "with network_mode = 'public'" in out and "Network (private)" not in out


def test_the_modes_are_the_terraform_variables_validation():
    variables = cost.terraform_variables(ROOT / "infra" / "variables.tf", None)
    assert variables["network_mode"] == "private"
    text = (ROOT / "infra" / "variables.tf").read_text()
    block = text[text.index('variable "network_mode"') :]
    block = block[: block.index("\n}\n")]
    assert 'contains(["public", "private"], var.network_mode)' in block
