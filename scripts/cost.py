#!/usr/bin/env python3
"""`make cost`: the month's AWS bill of the scheduled jobs, item by item, with the arithmetic.

    .venv/bin/python scripts/cost.py [--tfvars infra/terraform.tfvars] [--runtimes FILE] [--prices FILE]

Reads, and nothing else (pure Python: no AWS call, no boto3, no Terraform run):
- the Terraform variables: the defaults in infra/variables.tf, overridden by
  infra/terraform.tfvars when it exists (python-hcl2), and the alarms in infra/*.tf;
- the measured run times: infra/cost/measured_runtimes.json, written by
  `benchmarks/bench_jobs.py` (every duration in the total comes from there);
- the prices: infra/cost/prices.json (us-east-1 list prices; put in your region's).

The model, per scheduled job:
    runs a month    from the schedule expression (rate(15 minutes): 30.4 x 96 = 2,918)
    billed seconds  max(60, image pull + process), Fargate bills from the start of the pull,
                    per second, at least a minute
    process         the measured wall time on 1 CPU; on a task with less than 1 vCPU the CPU
                    part stretches: wall + cpu x (1/vCPU - 1)
    $ an hour       vCPU x P_vcpu + GB x P_gb (Fargate Spot: the schedules use FARGATE_SPOT)
and the network of the chosen `network_mode`: private, a NAT gateway's hours and the GB of
image pulls it processes (none with an S3 gateway endpoint); public, the public IPv4
address of each task for its billed hours. The total says which mode it assumes.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INFRA = ROOT / "infra"
RUNTIMES = INFRA / "cost" / "measured_runtimes.json"
PRICES = INFRA / "cost" / "prices.json"

#: job -> (size variable, schedule variable, the benchmark figure a typical run is, a quiet run)
JOBS: dict[str, tuple[str, str, str, str]] = {
    "scraper": ("scraper_task_size", "scraper_schedule", "scrape_new", "scrape_nothing"),
    "sentiment": ("sentiment_task_size", "sentiment_schedule", "sentiment_{quant}", "sentiment_empty"),
    "status": ("status_task_size", "status_schedule", "daily_status", "daily_status"),
}
#: The figure each run of a job adds for its later steps: the sentiment job is
#: `run_pipeline --skip scrape_reddit`, scoring then detect_surges (infra/jobs.tf).
THEN: dict[str, str] = {"sentiment": "detect_surges_live"}
#: The secrets each job's task definition names (infra/jobs.tf local.jobs), and the two the
#: sentiment job adds with alert_webhooks_enabled.
SECRETS_PER_JOB = {"scraper": 4, "sentiment": 2, "status": 2}
ALERT_SECRETS = 2


# --- inputs ---------------------------------------------------------------------------------------


def _hcl(path: Path) -> dict[str, Any]:
    import hcl2

    options = hcl2.SerializationOptions(strip_string_quotes=True, with_comments=False, explicit_blocks=False)
    with open(path) as f:
        return hcl2.load(f, serialization_options=options)


def terraform_variables(variables_tf: Path, tfvars: Path | None) -> dict[str, Any]:
    """The variables' defaults, overridden by a terraform.tfvars (when given and present)."""
    values: dict[str, Any] = {}
    for block in _hcl(variables_tf).get("variable", []):
        for name, body in block.items():
            if "default" in body:
                values[name] = body["default"]
    if tfvars is not None and tfvars.exists():
        values.update(_hcl(tfvars))
    return values


def scheduled_job_count(infra: Path) -> int:
    """The jobs of local.jobs (infra/jobs.tf) with a schedule: one DLQ alarm each."""
    jobs: dict[str, Any] = {}
    for block in _hcl(infra / "jobs.tf").get("locals", []):
        jobs.update(block.get("jobs", {}))
    return sum(1 for job in jobs.values() if job.get("schedule") is not None)


def alarm_counts(infra: Path) -> tuple[int, list[tuple[str, str]]]:
    """(metric alarms, the custom metric/dimension pairs they read) from every infra/*.tf;
    an alarm with for_each is one per scheduled job."""
    jobs = scheduled_job_count(infra)
    alarms = [
        body
        for path in sorted(infra.glob("*.tf"))
        for block in _hcl(path).get("resource", [])
        for label, body in block.get("aws_cloudwatch_metric_alarm", {}).items()
    ]
    count = 0
    custom: list[tuple[str, str]] = []
    for alarm in alarms:
        count += jobs if "for_each" in alarm else 1
        if alarm.get("namespace") == "${var.metrics_namespace}":
            pair = (alarm["metric_name"], str(alarm.get("dimensions", {}).get("Job", "")))
            if pair not in custom:
                custom.append(pair)
    return count, custom


def runs_per_month(expression: str, days: float) -> float:
    """rate(N minutes|hours|days) or a daily cron(M H * * ? *)."""
    m = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", expression.strip())
    if m:
        minutes = int(m.group(1)) * {"minute": 1, "hour": 60, "day": 1440}[m.group(2).rstrip("s")]
        return days * 1440 / minutes
    m = re.fullmatch(r"cron\((\d+) (\d+) \* \* \? \*\)", expression.strip())
    if m:
        return days
    raise ValueError(f"cannot count the runs of {expression!r}: use rate(...) or a daily cron(M H * * ? *)")


# --- the arithmetic ---------------------------------------------------------------------------------


@dataclass
class Line:
    item: str
    arithmetic: str
    dollars: float


def measured_seconds(measured: dict[str, Any]) -> float:
    """The process's run time on a CPU of its own (bench_jobs.py takes out the time it waited
    for this shared machine's CPU); the raw wall time for older files."""
    return float(measured["wall_dedicated_s"] if "wall_dedicated_s" in measured else measured["wall_s"])


def steps_measured(jobs: dict[str, Any], figure: str, then: str | None) -> dict[str, Any]:
    """One run's figure, plus the figure of the step that follows it in the same task."""
    if then is None:
        return jobs[figure]
    first, second = jobs[figure], jobs[then]
    return {
        "wall_dedicated_s": measured_seconds(first) + measured_seconds(second),
        "cpu_s": float(first["cpu_s"]) + float(second["cpu_s"]),
        "log_bytes": first.get("log_bytes", 0) + second.get("log_bytes", 0),
    }


def process_seconds(measured: dict[str, Any], vcpu: float) -> float:
    """Measured on one full CPU; with less than one vCPU the CPU part takes 1/vCPU as long."""
    wall, cpu = measured_seconds(measured), float(measured["cpu_s"])
    return wall + cpu * (1 / vcpu - 1) if vcpu < 1 else wall


def billed_seconds(process_s: float, pull_s: float, minimum_s: float) -> float:
    return max(minimum_s, math.ceil(pull_s + process_s))


def hourly(vcpu: float, gb: float, prices: dict[str, Any], *, spot: bool = True) -> float:
    kind = "spot" if spot else "ondemand"
    return vcpu * prices[f"fargate_{kind}_vcpu_hour"] + gb * prices[f"fargate_{kind}_gb_hour"]


def estimate(variables: dict[str, Any], runtimes: dict[str, Any], prices: dict[str, Any], infra: Path) -> dict:
    days = prices["days_per_month"]
    pull = float(runtimes["not_measured"]["image_pull_s"])
    minimum = prices["fargate_minimum_billed_s"]
    quant = "int8" if variables.get("sentiment_quantize", True) else "fp32"
    jobs = runtimes["jobs"]
    lines: list[Line] = []
    notes: list[str] = []
    starts = 0.0
    secret_reads = 0.0
    log_bytes = 0.0
    fargate = 0.0
    ondemand = 0.0
    task_hours = 0.0
    for job, (size_var, schedule_var, typical, quiet) in JOBS.items():
        size = variables[size_var]
        vcpu, gb = size["cpu"] / 1024, size["memory"] / 1024
        runs = runs_per_month(variables[schedule_var], days)
        figure = typical.format(quant=quant)
        then = THEN.get(job)
        run = steps_measured(jobs, figure, then)
        proc = process_seconds(run, vcpu)
        billed = billed_seconds(proc, pull, minimum)
        rate = hourly(vcpu, gb, prices)
        hours = runs * billed / 3600
        dollars = hours * rate
        fargate += dollars
        task_hours += hours
        ondemand += hours * hourly(vcpu, gb, prices, spot=False)
        starts += runs
        alert_secrets = ALERT_SECRETS if job == "sentiment" and variables.get("alert_webhooks_enabled") else 0
        secret_reads += runs * (SECRETS_PER_JOB[job] + alert_secrets)
        log_bytes += runs * run.get("log_bytes", 0)
        stretch = f" + {run['cpu_s']:.2f} s CPU x (1/{vcpu:g} - 1)" if vcpu < 1 and run["cpu_s"] else ""
        steps = f"{figure} {measured_seconds(jobs[figure]):.2f} s"
        if then is not None:
            steps += f" + {then} {measured_seconds(jobs[then]):.2f} s"
        lines.append(
            Line(
                f"Fargate Spot: {job}",
                f"{vcpu:g} vCPU x {prices['fargate_spot_vcpu_hour']} + {gb:g} GB x {prices['fargate_spot_gb_hour']}"
                f" = ${rate:.7f}/h; {runs:,.1f} runs x max({minimum}, pull {pull:g} s + {steps}"
                f"{stretch} = {proc:.1f} s) = {billed:.0f} s -> {hours:.2f} h",
                dollars,
            )
        )
        if quiet != figure:
            quiet_run = steps_measured(jobs, quiet, then)
            quiet_billed = billed_seconds(process_seconds(quiet_run, vcpu), pull, minimum)
            notes.append(
                f"{job}: a run with nothing new ({quiet} {measured_seconds(quiet_run):.2f} s) bills {quiet_billed:.0f} s, "
                f"${quiet_billed / 3600 * rate:.6f} vs ${billed / 3600 * rate:.6f} for a typical run"
            )
    notes.append(f"all on-demand instead of Spot: ${ondemand:.2f} for the Fargate lines")

    # Secrets: SSM standard parameters (no fee, free standard API calls) or Secrets Manager.
    backend = variables.get("secrets_backend", "ssm")
    cmk = bool(variables.get("kms_cmk_enabled", False))
    stored = 4 + (ALERT_SECRETS if variables.get("alert_webhooks_enabled") else 0)
    if backend == "ssm":
        lines.append(
            Line(
                "SSM Parameter Store",
                f"{stored} standard SecureString parameters x ${prices['ssm_standard_parameter_month']} + "
                f"{secret_reads:,.0f} GetParameters reads (standard throughput) x ${prices['ssm_standard_throughput_per_10k_calls']}/10k",
                stored * prices["ssm_standard_parameter_month"]
                + secret_reads / 1e4 * prices["ssm_standard_throughput_per_10k_calls"],
            )
        )
    else:
        lines.append(
            Line(
                "Secrets Manager",
                f"{stored} secrets x ${prices['secretsmanager_secret_month']} + {secret_reads:,.0f} GetSecretValue at the "
                f"task starts x ${prices['secretsmanager_per_10k_calls']}/10k",
                stored * prices["secretsmanager_secret_month"]
                + secret_reads / 1e4 * prices["secretsmanager_per_10k_calls"],
            )
        )
    key = "the project CMK" if cmk else f"the AWS managed key aws/{'ssm' if backend == 'ssm' else 'secretsmanager'}"
    lines.append(
        Line(
            "KMS",
            (f"CMK ${prices['kms_cmk_month']:.2f}/month + " if cmk else "no customer managed key ($0/month) + ")
            + f"{secret_reads:,.0f} decrypts under {key} x ${prices['kms_per_10k_requests']}/10k",
            (prices["kms_cmk_month"] if cmk else 0.0) + secret_reads / 1e4 * prices["kms_per_10k_requests"],
        )
    )

    alarms, custom = alarm_counts(infra)
    lines.append(
        Line(
            "CloudWatch alarms",
            f"{alarms} metric alarms (a DLQ each for the {scheduled_job_count(infra)} job schedules, train-stance's too, "
            f"{len(custom)} on the jobs' metrics) x ${prices['cloudwatch_alarm_standard_month']}",
            alarms * prices["cloudwatch_alarm_standard_month"],
        )
    )
    lines.append(
        Line(
            "CloudWatch custom metrics (EMF)",
            f"{len(custom)} metric/dimension pairs ({', '.join(name for name, _ in custom)}) "
            f"x ${prices['cloudwatch_custom_metric_month']}",
            len(custom) * prices["cloudwatch_custom_metric_month"],
        )
    )
    retention = variables.get("log_retention_days", 7)
    gb_month = log_bytes / 1e9
    stored = gb_month * min(retention, days) / days
    lines.append(
        Line(
            "CloudWatch Logs",
            f"{gb_month:.3f} GB/month (measured bytes per run x runs) x ${prices['logs_ingest_gb']} ingestion"
            f" + {stored:.4f} GB kept {retention} days x ${prices['logs_storage_gb_month']}",
            gb_month * prices["logs_ingest_gb"] + stored * prices["logs_storage_gb_month"],
        )
    )
    lines.append(
        Line(
            "ECR storage",
            f"{prices['ecr_stored_gb']} GB of compressed layers x ${prices['ecr_storage_gb_month']}",
            prices["ecr_stored_gb"] * prices["ecr_storage_gb_month"],
        )
    )
    insights = bool(variables.get("enable_container_insights", False))
    lines.append(
        Line(
            "Scheduler, EventBridge rules, SNS e-mail, SQS",
            f"{starts:,.0f} scheduler invocations (14M free), AWS service events free, e-mails (1,000 free), DLQs idle",
            0.0,
        )
    )
    if variables.get("train_stance_schedule_enabled", False):
        notes.append("train-stance's weekly schedule is ENABLED: its run time is not measured, not in the total")
    else:
        notes.append("train-stance (infra/jobs.tf): weekly schedule disabled by default; only its DLQ alarm counts")
    if insights:
        notes.append("Container Insights is ON (enable_container_insights): billed per metric, not in the total")
    else:
        notes.append("Container Insights: off (enable_container_insights = false)")
    mode = variables.get("network_mode", "private")
    lines.extend(network_lines(mode, variables, prices, starts=starts, task_hours=task_hours))
    endpoints = INTERFACE_ENDPOINTS * 2 * days * 24 * prices["vpc_interface_endpoint_az_hour"]
    notes.append(
        f"interface endpoints instead of NAT data (ECR api + dkr, Logs, SSM: {INTERFACE_ENDPOINTS} x 2 AZs x "
        f"{days * 24:g} h x ${prices['vpc_interface_endpoint_az_hour']}) would be ${endpoints:.2f}/month, and Reddit "
        "still needs the NAT gateway from private subnets"
    )

    # The alternative to folding detect_surges into the sentiment task: a schedule of its own.
    if THEN["sentiment"] in jobs:
        size = variables["status_task_size"]
        vcpu, gb = size["cpu"] / 1024, size["memory"] / 1024
        runs = runs_per_month(variables["sentiment_schedule"], days)
        billed = billed_seconds(process_seconds(jobs[THEN["sentiment"]], vcpu), pull, minimum)
        own = runs * billed / 3600 * hourly(vcpu, gb, prices)
        notes.append(
            f"detect_surges as a task of its own ({vcpu:g} vCPU / {gb:g} GB, every run billed {billed:.0f} s) instead "
            f"of after the scoring: ${own:.2f} more Fargate and {runs:,.0f} more image pulls a month"
        )

    # The alternative: scraping, scoring and surges in one 15-minute task (run_pipeline whole).
    if "pipeline_int8" in jobs and quant == "int8":
        size = variables["sentiment_task_size"]
        vcpu, gb = size["cpu"] / 1024, size["memory"] / 1024
        runs = runs_per_month(variables["sentiment_schedule"], days)
        whole = steps_measured(jobs, "pipeline_int8", THEN["sentiment"])
        proc = process_seconds(whole, vcpu)
        billed = billed_seconds(proc, pull, minimum)
        one = runs * billed / 3600 * hourly(vcpu, gb, prices)
        two = sum(line.dollars for line in lines if line.item in ("Fargate Spot: scraper", "Fargate Spot: sentiment"))
        notes.append(
            f"one task instead of two (run_pipeline on {vcpu:g} vCPU / {gb:g} GB): {runs:,.1f} x max({minimum}, "
            f"{pull:g} + {measured_seconds(whole):.2f} s) = {billed:.0f} s -> ${one:.2f} vs ${two:.2f} "
            f"for the scraper and sentiment tasks"
        )
    total = sum(line.dollars for line in lines)
    other = "public" if mode == "private" else "private"
    other_network = sum(
        line.dollars for line in network_lines(other, variables, prices, starts=starts, task_hours=task_hours)
    )
    network = sum(line.dollars for line in lines if line.item.startswith("Network"))
    notes.append(
        f"network_mode = {other!r} instead: ${total - network + other_network:.2f} "
        f"(network ${other_network:.2f} instead of ${network:.2f})"
    )
    return {"lines": lines, "total": total, "notes": notes, "fargate": fargate, "network_mode": mode}


#: The interface endpoints private subnets without a NAT gateway would need for the AWS side
#: (ecr.api, ecr.dkr, logs, ssm); S3 is a free gateway endpoint.
INTERFACE_ENDPOINTS = 4


def network_lines(
    mode: str, variables: dict[str, Any], prices: dict[str, Any], *, starts: float, task_hours: float
) -> list[Line]:
    """The network cost of `network_mode`: NAT hours and data (private) or public IPv4 hours (public)."""
    hours = prices["days_per_month"] * 24
    if mode == "public":
        return [
            Line(
                "Network (public): public IPv4",
                f"one public IP per task while it runs: {task_hours:,.1f} task-hours x ${prices['public_ipv4_hour']}; "
                "no NAT gateway, image pulls through the internet gateway carry no data charge",
                task_hours * prices["public_ipv4_hour"],
            )
        ]
    if mode != "private":
        raise ValueError(f"network_mode must be 'public' or 'private', not {mode!r}")
    pulled = starts * prices["jobs_image_compressed_gb"]
    if variables.get("s3_gateway_route_table_ids"):
        data = Line(
            "Network (private): NAT data",
            f"{starts:,.0f} image pulls x {prices['jobs_image_compressed_gb']} GB = {pulled:,.0f} GB through the S3 "
            "gateway endpoint (s3_gateway_route_table_ids): free",
            0.0,
        )
    else:
        data = Line(
            "Network (private): NAT data",
            f"{starts:,.0f} image pulls x {prices['jobs_image_compressed_gb']} GB = {pulled:,.0f} GB "
            f"x ${prices['nat_gateway_per_gb']}/GB processed (no S3 gateway endpoint: s3_gateway_route_table_ids = [])",
            pulled * prices["nat_gateway_per_gb"],
        )
    return [
        Line(
            "Network (private): NAT gateway",
            f"one NAT gateway, {hours:g} h x ${prices['nat_gateway_hour']}",
            hours * prices["nat_gateway_hour"],
        ),
        data,
    ]


def render(result: dict, *, runtimes: dict[str, Any], sources: list[str]) -> str:
    out = [
        f"Market Pulse: AWS cost of the scheduled jobs per month, network_mode = {result['network_mode']!r} "
        f"({', '.join(sources)})",
        "",
    ]
    width = max(len(line.item) for line in result["lines"])
    for line in result["lines"]:
        out.append(f"  {line.item:<{width}}  ${line.dollars:7.2f}   {line.arithmetic}")
    out.append(f"  {'TOTAL':<{width}}  ${result['total']:7.2f}   with network_mode = {result['network_mode']!r}")
    out.append("")
    for note in result["notes"]:
        out.append(f"  note: {note}")
    machine = runtimes.get("machine", {})
    out.append(
        f"  run times: {runtimes.get('command', '')} at {runtimes.get('measured_at', '?')} "
        f"(load average {machine.get('load_average_before')} -> {machine.get('load_average_after')})"
    )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tfvars", type=Path, default=INFRA / "terraform.tfvars", help="terraform.tfvars to apply")
    parser.add_argument("--runtimes", type=Path, default=RUNTIMES, help="measured run times (bench_jobs.py)")
    parser.add_argument("--prices", type=Path, default=PRICES, help="prices JSON")
    parser.add_argument("--json", action="store_true", help="print the lines and total as JSON")
    parser.add_argument("--max-total", type=float, default=None, help="exit 1 when the total is above this")
    args = parser.parse_args(argv)

    variables = terraform_variables(INFRA / "variables.tf", args.tfvars)
    runtimes = json.loads(args.runtimes.read_text())
    prices = json.loads(args.prices.read_text())
    result = estimate(variables, runtimes, prices, INFRA)
    sources = ["infra/variables.tf defaults"]
    if args.tfvars.exists():
        sources.append(str(args.tfvars.relative_to(ROOT) if args.tfvars.is_relative_to(ROOT) else args.tfvars))
    sources.append(f"prices {prices.get('region', '?')}")
    if args.json:
        print(
            json.dumps(
                {
                    "lines": [line.__dict__ for line in result["lines"]],
                    "total": round(result["total"], 4),
                    "network_mode": result["network_mode"],
                    "notes": result["notes"],
                },
                indent=2,
            )
        )
    else:
        print(render(result, runtimes=runtimes, sources=sources))
    if args.max_total is not None and result["total"] > args.max_total:
        print(f"cost: the total ${result['total']:.2f} is above ${args.max_total:.2f}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
