#!/usr/bin/env python3
"""Apply the whole Terraform stack to moto in server mode, drive `manage.py ecs` against
what it created, check for drift, destroy it, and time every step.

Run by infra/ci/check.sh (make infra-check, .ci/pre.d/30-infra.sh) with the project's
.venv Python (boto3 and moto[server] come from requirements/dev.txt):

    .venv/bin/python infra/ci/moto_check.py [--keep]

What it does, in a throw-away copy under var/infra-moto/ (the production files in infra/
are never touched):
 1. starts `moto_server` on 127.0.0.1 with a free port;
 2. creates the "existing" network the stack expects (VPC, two private subnets, the
    PostgreSQL security group) with boto3, as an operator's account would have it;
 3. copies infra/*.tf beside infra/ci/moto/*.tf (provider endpoints -> moto, local
    backend), writes the test-only moto.auto.tfvars.json, `terraform init` + a few
    `terraform plan` runs that must fail on bad inputs (the variable validations);
 4. `terraform apply`, then checks what AWS (moto) now holds against the contract
    (names, DISABLED schedules on FARGATE_SPOT with retry/DLQ, task definitions, IAM);
 5. `manage.py ecs schedules status`, `enable --all`, `disable --all` (checked with boto3
    after each), `manage.py setup_secrets --from-env` into the Terraform-made secrets;
 6. `terraform plan -detailed-exitcode` must show no change (the ops commands keep every
    field Terraform set), then `terraform destroy`, and checks that nothing is left;
 7. meanwhile, in a thread: applies, checks, re-plans and destroys infra/bootstrap (state
    bucket + lock table) on the same moto server, and plans the stack with
    terraform.tfvars.example (it must pass every validation).

Every resource of both configurations is applied; none is switched off for moto.
Exit 0 only when every step passed; the timings go to stdout and var/infra-moto/timings.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Self

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
WORK = ROOT / "var" / "infra-moto"
REGION = "us-east-1"
PREFIX = "market-pulse-"
JOBS = ("scraper", "sentiment", "status")
COMMANDS = {
    "scraper": ["scrape_reddit", "--mode", "incremental"],
    "sentiment": ["analyze_sentiment", "--source", "reddit"],
    "status": ["daily_status"],
}

timings: list[tuple[str, float]] = []


class CheckFailed(Exception):
    pass


def say(msg: str) -> None:
    print(f">> infra moto: {msg}", flush=True)


def expect(cond: bool, what: str) -> None:
    if not cond:
        raise CheckFailed(what)


class Step:
    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> Self:
        say(f"{self.name} ...")
        self.t0 = time.monotonic()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        took = time.monotonic() - self.t0
        timings.append((self.name, took))
        say(f"{self.name}: {'ok' if exc_type is None else 'FAILED'} ({took:.1f} s)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(
    cmd: list[str],
    *,
    env: dict[str, str],
    cwd: Path,
    expect_rc: int | tuple[int, ...] = 0,
    quiet: bool = False,
) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, check=False, cwd=cwd, env=env, text=True, capture_output=True, timeout=600)
    ok = proc.returncode in ((expect_rc,) if isinstance(expect_rc, int) else expect_rc)
    if not ok or not quiet:
        out = (proc.stdout + proc.stderr).strip()
        if out:
            print("\n".join("   | " + line for line in out.splitlines()[-60:]), flush=True)
    if not ok:
        raise CheckFailed(f"{' '.join(cmd[:4])} ... exited {proc.returncode}, expected {expect_rc}")
    return proc


def slow_report(stdout: str, *, at_least: int = 5) -> None:
    """Name the resources that took a while (the provider's own waits, mostly)."""
    for m in re.finditer(
        r"^(\S+): (Creation|Destruction|Modifications) complete after (?:(\d+)m)?(\d+)s",
        stdout,
        re.MULTILINE,
    ):
        secs = int(m.group(3) or 0) * 60 + int(m.group(4))
        if secs >= at_least:
            say(f"  slow: {m.group(1)} {m.group(2).lower()} took {secs} s")


def start_moto(port: int) -> subprocess.Popen:
    venv_server = Path(sys.executable).with_name("moto_server")
    cmd = [str(venv_server)] if venv_server.exists() else [sys.executable, "-m", "moto.server"]
    log = open(WORK / "moto.log", "w")
    proc = subprocess.Popen([*cmd, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise CheckFailed(f"moto_server exited with {proc.returncode}; see {WORK / 'moto.log'}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1)
            return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise CheckFailed("moto_server did not answer within 30 s")


def clients(endpoint: str):
    import boto3

    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    return lambda name: session.client(name, endpoint_url=endpoint)


def network_create(client) -> dict[str, Any]:
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in ((1, "a"), (2, "b"))
    ]
    pg = ec2.create_security_group(GroupName="existing-postgres", Description="the database's own group", VpcId=vpc)[
        "GroupId"
    ]
    main_rtb = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"][0][
        "RouteTableId"
    ]
    return {
        "vpc_id": vpc,
        "s3_gateway_route_table_ids": [main_rtb],
        "private_subnet_ids": subnets,
        "postgres_security_group_id": pg,
    }


def stack_prepare(src: Path, dest: Path, tfvars: dict[str, Any]) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for f in sorted(src.glob("*.tf")) + [src / ".terraform.lock.hcl"]:
        shutil.copy2(f, dest / f.name)
    for f in sorted((INFRA / "ci" / "moto").glob("*.tf")):
        shutil.copy2(f, dest / f.name)
    (dest / "moto.auto.tfvars.json").write_text(json.dumps(tfvars, indent=2) + "\n")


def tf_env(base: dict[str, str]) -> dict[str, str]:
    env = dict(base)
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
    )
    for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        env.pop(k, None)
    return env


def validations_check(tf: str, stack: Path, env: dict[str, str]) -> None:
    """Bad inputs must stop `terraform plan` with the variable's own message."""
    cases = [
        ("sentiment_task_size={cpu=1024,memory=1024}", "valid Fargate pair"),
        ("scraper_task_size={cpu=256,memory=4096}", "valid Fargate pair"),
        ("scraper_schedule=rate(15 minute)", "scraper_schedule must be"),
        ("status_schedule=cron(0 4 * * ?)", "status_schedule must be"),
        ("log_retention_days=10", "log_retention_days must be"),
        ("container_user=0", "non-zero numeric uid"),
        ("name_prefix=Market_Pulse", "name_prefix must be"),
        (
            'job_environment={DATABASE_URL="postgres://x"}',
            "must not be one of the secrets",
        ),
    ]
    # Terraform checks every variable and reports every failed validation in one run.
    cmd = [tf, "plan", "-input=false", "-lock=false", "-refresh=false", "-no-color"]
    for assignment, _ in cases:
        cmd += ["-var", assignment]
    proc = run(cmd, env=env, cwd=stack, expect_rc=1, quiet=True)
    text = " ".join((proc.stdout + proc.stderr).replace("\u2502", " ").split())
    for assignment, message in cases:
        expect(
            message in text,
            f"plan with {assignment} did not fail with the validation message {message!r}",
        )
        say(f"  rejected as it should: {assignment}")
    expect(
        text.count("Invalid value for variable") == len(cases),
        "a different number of validation errors than bad inputs",
    )


def stack_verify(client, outputs: dict[str, Any], net: dict[str, Any]) -> None:
    """What moto now holds, checked against the contract the ops commands rely on."""
    sched = client("scheduler")
    names = sorted(s["Name"] for s in sched.list_schedules(NamePrefix=PREFIX)["Schedules"])
    expect(names == [f"{PREFIX}{j}" for j in sorted(JOBS)], f"schedules {names}")
    expect(
        outputs["schedule_names"]["value"] == {j: f"{PREFIX}{j}" for j in JOBS},
        "schedule_names output",
    )
    expect(outputs["cluster_name"]["value"] == "market-pulse", "cluster_name output")
    endpoint = client("ec2").describe_vpc_endpoints(VpcEndpointIds=[outputs["s3_gateway_endpoint_id"]["value"]])[
        "VpcEndpoints"
    ][0]
    expect(
        endpoint["VpcEndpointType"] == "Gateway" and endpoint["RouteTableIds"] == net["s3_gateway_route_table_ids"],
        "S3 gateway endpoint",
    )
    for job in JOBS:
        s = sched.get_schedule(Name=f"{PREFIX}{job}", GroupName="default")
        expect(
            s["State"] == "DISABLED",
            f"{job} schedule created {s['State']}, not DISABLED",
        )
        want = "cron(0 4 * * ? *)" if job == "status" else "rate(15 minutes)"
        expect(
            s["ScheduleExpression"] == want,
            f"{job} expression {s['ScheduleExpression']}",
        )
        t = s["Target"]
        ecs = t["EcsParameters"]
        expect(
            ecs["CapacityProviderStrategy"][0]["capacityProvider"] == "FARGATE_SPOT",
            f"{job} not on FARGATE_SPOT",
        )
        expect(
            "LaunchType" not in ecs,
            f"{job} sets a launch type beside the capacity provider strategy",
        )
        expect(
            ecs["TaskDefinitionArn"] == outputs["task_definition_arns"]["value"][job],
            f"{job} task definition",
        )
        aws = ecs["NetworkConfiguration"]["awsvpcConfiguration"]
        expect(
            sorted(aws["Subnets"]) == sorted(net["private_subnet_ids"]),
            f"{job} subnets",
        )
        expect(
            aws["SecurityGroups"] == [outputs["task_security_group_id"]["value"]],
            f"{job} security group",
        )
        expect(aws.get("AssignPublicIp") == "DISABLED", f"{job} assigns a public IP")
        expect(t["DeadLetterConfig"]["Arn"].endswith(f":{PREFIX}{job}-dlq"), f"{job} DLQ")
        expect(t["RetryPolicy"]["MaximumRetryAttempts"] >= 1, f"{job} retry policy")
        expect(
            t["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 3600,
            f"{job} maximum event age",
        )
        expect(
            t["RoleArn"].endswith(f":role/{PREFIX}scheduler-{job}"),
            f"{job} scheduler role",
        )
        expect(
            bool(s.get("KmsKeyArn")),
            f"{job} schedule not encrypted with the project key",
        )

    ecs = client("ecs")
    for job in JOBS:
        td = ecs.describe_task_definition(taskDefinition=f"{PREFIX}{job}")["taskDefinition"]
        expect(
            td["requiresCompatibilities"] == ["FARGATE"] and td["networkMode"] == "awsvpc",
            f"{job} not Fargate/awsvpc",
        )
        (c,) = td["containerDefinitions"]
        expect(c["command"] == COMMANDS[job], f"{job} command {c['command']}")
        expect(c["stopTimeout"] == 120, f"{job} stopTimeout")
        expect(c["readonlyRootFilesystem"] is True, f"{job} root filesystem writable")
        expect(c["mountPoints"][0]["containerPath"] == "/tmp", f"{job} /tmp scratch")
        expect(
            c["user"] and not c["user"].startswith("0") and c["user"] != "root",
            f"{job} user {c['user']}",
        )
        env = {e["name"]: e["value"] for e in c["environment"]}
        expect(
            env.get("LOG_FORMAT") == "json" and env.get("HF_HUB_OFFLINE") == "1",
            f"{job} environment {env}",
        )
        expect(
            env.get("HF_HOME", "").startswith("/tmp/"),
            f"{job} HF_HOME outside the writable /tmp",
        )
        expect(
            all(s["valueFrom"].startswith("arn:aws:secretsmanager:") for s in c["secrets"]),
            f"{job} secrets not by ARN",
        )
        lc = c["logConfiguration"]
        expect(
            lc["logDriver"] == "awslogs" and lc["options"]["awslogs-group"] == f"/ecs/{PREFIX}{job}",
            f"{job} logs",
        )
    cluster = ecs.describe_clusters(clusters=["market-pulse"])["clusters"][0]
    expect(
        set(cluster.get("capacityProviders", [])) == {"FARGATE", "FARGATE_SPOT"},
        f"capacity providers {cluster.get('capacityProviders')}",
    )

    logs = client("logs")
    groups = {g["logGroupName"]: g for g in logs.describe_log_groups(logGroupNamePrefix=f"/ecs/{PREFIX}")["logGroups"]}
    expect(
        sorted(groups) == sorted([*(f"/ecs/{PREFIX}{j}" for j in JOBS), f"/ecs/{PREFIX}import-dump"]),
        f"log groups {sorted(groups)}",
    )
    expect(
        all(g.get("retentionInDays") for g in groups.values()),
        "log group without retention",
    )

    # IAM: the scheduler's RunTask is on its own family in this cluster; PassRole exactly two roles.
    iam = client("iam")
    for job in JOBS:
        role = f"{PREFIX}scheduler-{job}"
        doc = iam.get_role_policy(RoleName=role, PolicyName=f"run-{job}")["PolicyDocument"]
        doc = json.loads(doc) if isinstance(doc, str) else doc
        by_sid = {s["Sid"]: s for s in doc["Statement"]}
        run_task = by_sid["RunThisJobsTaskDefinitionInThisCluster"]
        expect(
            run_task["Resource"].endswith(f":task-definition/{PREFIX}{job}:*"),
            f"{role} RunTask resource {run_task['Resource']}",
        )
        pass_role = by_sid["PassExactlyTheTaskRolesToEcsTasks"]
        expect(
            sorted(pass_role["Resource"])
            == sorted(
                [
                    outputs["task_execution_role_arn"]["value"],
                    outputs["task_role_arn"]["value"],
                ]
            ),
            f"{role} PassRole",
        )
        expect(
            pass_role["Condition"]["StringEquals"]["iam:PassedToService"] == "ecs-tasks.amazonaws.com",
            f"{role} PassRole condition",
        )
        for st in doc["Statement"]:
            expect(st["Resource"] != "*", f"{role}: {st['Sid']} on *")
    exec_doc = iam.get_role_policy(RoleName=f"{PREFIX}task-execution", PolicyName="pull-log-secrets")["PolicyDocument"]
    exec_doc = json.loads(exec_doc) if isinstance(exec_doc, str) else exec_doc
    stars = [s["Sid"] for s in exec_doc["Statement"] if s["Resource"] == "*"]
    expect(
        stars == ["EcrAuthTokenIsAccountWideByDesign"],
        f"execution role statements on *: {stars}",
    )
    expect(
        iam.list_role_policies(RoleName=f"{PREFIX}task")["PolicyNames"] == [],
        "the task role has policies",
    )
    expect(
        iam.list_attached_role_policies(RoleName=f"{PREFIX}task")["AttachedPolicies"] == [],
        "the task role has managed policies",
    )

    # The tasks' security group: egress only, and the database's group lets it in on 5432.
    ec2 = client("ec2")
    sg = ec2.describe_security_groups(GroupIds=[outputs["task_security_group_id"]["value"]])["SecurityGroups"][0]
    expect(sg["IpPermissions"] == [], "the task security group has ingress rules")
    pg = ec2.describe_security_groups(GroupIds=[net["postgres_security_group_id"]])["SecurityGroups"][0]
    expect(
        any(
            p.get("FromPort") == 5432 and any(u["GroupId"] == sg["GroupId"] for u in p.get("UserIdGroupPairs", []))
            for p in pg["IpPermissions"]
        ),
        "no 5432 rule from the tasks on the PostgreSQL security group",
    )


def tf_buffered(
    tf: str,
    cmd: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    log: list[str],
    expect_rc: tuple[int, ...] = (0,),
    failure: str = "",
) -> None:
    """`run` for the bootstrap thread: output goes to `log` (printed by the main
    thread, so the two stacks' lines do not interleave) instead of stdout."""
    proc = subprocess.run([tf, *cmd], check=False, cwd=cwd, env=env, text=True, capture_output=True, timeout=600)
    if proc.returncode not in expect_rc:
        log.extend("   | " + line for line in (proc.stdout + proc.stderr).strip().splitlines()[-40:])
        raise CheckFailed(f"terraform {cmd[0]}{failure} exited {proc.returncode}")


def bootstrap_check(
    tf: str,
    env: dict[str, str],
    endpoint: str,
    client,
    log: list[str],
    error: list[str],
) -> None:
    """infra/bootstrap (state bucket + lock table): init, apply, check, no drift, destroy.
    Runs in a thread beside the main stack (same moto server, disjoint names): most of its
    time is the provider waiting for the S3 lifecycle configuration to settle."""
    t0 = time.monotonic()
    boot = WORK / "bootstrap"
    try:
        stack_prepare(INFRA / "bootstrap", boot, {"moto_endpoint": endpoint, "aws_region": REGION})
        bucket = "market-pulse-tfstate-123456789012"
        for cmd in (
            ["init", "-input=false", "-no-color"],
            ["apply", "-input=false", "-auto-approve", "-no-color"],
        ):
            tf_buffered(tf, cmd, cwd=boot, env=env, log=log)
        buckets = [b["Name"] for b in client("s3").list_buckets()["Buckets"]]
        expect(bucket in buckets, f"state bucket missing: {buckets}")
        expect(
            client("s3").get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled",
            "state bucket versioning",
        )
        pab = client("s3").get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        expect(all(pab.values()), f"state bucket public access block {pab}")
        table = client("dynamodb").describe_table(TableName="market-pulse-tflock")["Table"]
        expect(
            table["KeySchema"] == [{"AttributeName": "LockID", "KeyType": "HASH"}],
            "lock table key",
        )
        for cmd, rcs in (
            (["plan", "-input=false", "-no-color", "-detailed-exitcode"], (0,)),
            (["destroy", "-input=false", "-auto-approve", "-no-color"], (0,)),
        ):
            tf_buffered(
                tf,
                cmd,
                cwd=boot,
                env=env,
                log=log,
                expect_rc=rcs,
                failure=" (drift right after apply)" if cmd[0] == "plan" else "",
            )
        expect(
            bucket not in [b["Name"] for b in client("s3").list_buckets()["Buckets"]],
            "state bucket left after destroy",
        )
        log.append(
            f">> infra moto: bootstrap (state bucket + lock table): init, apply, check, no drift, destroy: ok ({time.monotonic() - t0:.1f} s)"
        )
        # terraform.tfvars.example must parse and pass every validation: a plan with it
        # (fake ids are fine for a plan: nothing is created) must succeed with changes.
        t1 = time.monotonic()
        example = WORK / "example"
        stack_prepare(INFRA, example, {"moto_endpoint": endpoint})
        for cmd, rcs in (
            (["init", "-input=false", "-no-color"], (0,)),
            (
                [
                    "plan",
                    "-input=false",
                    "-no-color",
                    "-lock=false",
                    "-refresh=false",
                    "-detailed-exitcode",
                    "-var-file=terraform.tfvars.example",
                ],
                (2,),
            ),
        ):
            shutil.copy2(INFRA / "terraform.tfvars.example", example / "terraform.tfvars.example")
            tf_buffered(
                tf,
                cmd,
                cwd=example,
                env=env,
                log=log,
                expect_rc=rcs,
                failure=" with terraform.tfvars.example",
            )
        log.append(
            f">> infra moto: terraform plan -var-file=terraform.tfvars.example: ok ({time.monotonic() - t1:.1f} s)"
        )
    except Exception as exc:
        error.append(f"{type(exc).__name__}: {exc}")
    finally:
        timings.append(("bootstrap (in parallel)", time.monotonic() - t0))


def states(client) -> dict[str, str]:
    sched = client("scheduler")
    return {j: sched.get_schedule(Name=f"{PREFIX}{j}", GroupName="default")["State"] for j in JOBS}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--keep",
        action="store_true",
        help="Leave var/infra-moto/ in place after a pass (it is always left after a failure).",
    )
    parser.add_argument(
        "--terraform",
        default=shutil.which("terraform") or "terraform",
        help="Terraform binary (default: the one on PATH).",
    )
    args = parser.parse_args()
    tf = args.terraform
    t_start = time.monotonic()

    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    env = tf_env(os.environ.copy())
    manage_env = dict(
        env,
        AWS_ENDPOINT_URL=endpoint,
        DJANGO_DEBUG="true",
        MARKETPULSE_IGNORE_DOTENV="1",
        DATABASE_URL=f"sqlite:///{WORK / 'manage.sqlite3'}",
        ECS_NAME_PREFIX=PREFIX,
        ECS_CLUSTER="market-pulse",
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    moto = None
    boot_thread: threading.Thread | None = None
    ok = False
    stack = WORK / "stack"
    applied = False
    try:
        with Step(f"start moto_server on 127.0.0.1:{port}"):
            moto = start_moto(port)
        client = clients(endpoint)
        boot_log: list[str] = []
        boot_error: list[str] = []
        boot_thread = threading.Thread(
            target=bootstrap_check,
            args=(tf, env, endpoint, client, boot_log, boot_error),
            daemon=True,
        )
        boot_thread.start()
        with Step("create the existing network (VPC, 2 private subnets, PostgreSQL security group) with boto3"):
            net = network_create(client)
        tfvars = dict(
            net,
            moto_endpoint=endpoint,
            aws_region=REGION,
            image_tag="ci-moto",
            alarm_email="ops@example.com",
            secret_recovery_window_days=0,
            kms_deletion_window_days=7,
            job_environment={
                "REDDIT_SUBREDDITS": "wallstreetbets",
                "REDDIT_USER_AGENT": "python:market-pulse:ci (by /u/nobody)",
            },
        )
        stack_prepare(INFRA, stack, tfvars)
        with Step("terraform init (local backend, provider from the filesystem mirror)"):
            run(
                [tf, "init", "-input=false", "-no-color"],
                env=env,
                cwd=stack,
                quiet=True,
            )
        with Step("terraform plan rejects bad inputs (variable validations)"):
            validations_check(tf, stack, env)
        with Step("terraform apply (whole stack)"):
            applied = True
            proc = run(
                [tf, "apply", "-input=false", "-auto-approve", "-no-color"],
                env=env,
                cwd=stack,
                quiet=True,
            )
            summary = [line for line in proc.stdout.splitlines() if line.startswith("Apply complete")]
            say("  " + (summary[0] if summary else "no summary line"))
            slow_report(proc.stdout)
            outputs = json.loads(run([tf, "output", "-json"], env=env, cwd=stack, quiet=True).stdout)
        with Step("check what moto holds against the contract (schedules, task definitions, IAM, network)"):
            stack_verify(client, outputs, net)
        with Step("manage.py ecs schedules status / enable --all / disable --all"):
            proc = run([*manage, "ecs", "schedules", "status"], env=manage_env, cwd=ROOT)
            expect(
                all(f"{PREFIX}{j}" in proc.stdout for j in JOBS),
                "schedules status does not list the three schedules",
            )
            run(
                [*manage, "ecs", "schedules", "enable", "--all"],
                env=manage_env,
                cwd=ROOT,
            )
            expect(
                states(client) == dict.fromkeys(JOBS, "ENABLED"),
                f"after enable --all: {states(client)}",
            )
            proc = run([*manage, "ecs", "schedules", "status"], env=manage_env, cwd=ROOT)
            expect(
                proc.stdout.count("ENABLED") >= 3,
                "schedules status does not show them ENABLED",
            )
            run(
                [*manage, "ecs", "schedules", "disable", "--all"],
                env=manage_env,
                cwd=ROOT,
            )
            expect(
                states(client) == dict.fromkeys(JOBS, "DISABLED"),
                f"after disable --all: {states(client)}",
            )
        with Step("manage.py setup_secrets --from-env into the Terraform-made secrets"):
            values = {
                "SECRET_DJANGO_SECRET_KEY": "ci-" + "k" * 40,
                "SECRET_DATABASE_URL": "postgres://mp:pw@db.internal:5432/marketpulse",
                "SECRET_REDDIT_CLIENT_ID": "ci-client-id",
                "SECRET_REDDIT_CLIENT_SECRET": "ci-client-secret-value",
            }
            proc = run(
                [*manage, "setup_secrets", "--from-env"],
                env=dict(manage_env, **values),
                cwd=ROOT,
            )
            expect(
                not any(v in proc.stdout + proc.stderr for v in values.values()),
                "setup_secrets printed a secret value",
            )
            sm = client("secretsmanager")
            for short, key in (
                ("django-secret-key", "SECRET_DJANGO_SECRET_KEY"),
                ("database-url", "SECRET_DATABASE_URL"),
                ("reddit-client-id", "SECRET_REDDIT_CLIENT_ID"),
                ("reddit-client-secret", "SECRET_REDDIT_CLIENT_SECRET"),
            ):
                got = sm.get_secret_value(SecretId=outputs["secret_arns"]["value"][short])["SecretString"]
                expect(
                    got == values[key],
                    f"secret {short} does not hold the value setup_secrets stored",
                )
        with Step("terraform plan -detailed-exitcode: no drift after the ops commands"):
            proc = run(
                [tf, "plan", "-input=false", "-no-color", "-detailed-exitcode"],
                env=env,
                cwd=stack,
                expect_rc=(0, 2),
                quiet=True,
            )
            if proc.returncode == 2:
                print(
                    "\n".join(
                        "   | " + line
                        for line in proc.stdout.splitlines()
                        if line.strip().startswith(("#", "~", "+", "-"))
                    ),
                    flush=True,
                )
                raise CheckFailed("terraform plan shows changes right after apply and the ops round trip")
        with Step("terraform destroy"):
            # -refresh=false: the plan just before refreshed everything and found no drift.
            proc = run(
                [
                    tf,
                    "destroy",
                    "-input=false",
                    "-auto-approve",
                    "-no-color",
                    "-refresh=false",
                ],
                env=env,
                cwd=stack,
                quiet=True,
            )
            applied = False
            slow_report(proc.stdout)
        with Step("check nothing is left"):
            expect(
                client("scheduler").list_schedules(NamePrefix=PREFIX)["Schedules"] == [],
                "schedules left",
            )
            expect(
                client("logs").describe_log_groups(logGroupNamePrefix=f"/ecs/{PREFIX}")["logGroups"] == [],
                "log groups left",
            )
            active = [
                c
                for c in client("ecs").describe_clusters(clusters=["market-pulse"])["clusters"]
                if c["status"] == "ACTIVE"
            ]
            expect(active == [], "cluster left")
            expect(
                client("ecs").list_task_definitions(familyPrefix=PREFIX, status="ACTIVE")["taskDefinitionArns"] == [],
                "task definitions left",
            )
            expect(
                not [r for r in client("iam").list_roles()["Roles"] if r["RoleName"].startswith(PREFIX)],
                "roles left",
            )
            expect(
                client("sqs").list_queues(QueueNamePrefix=PREFIX).get("QueueUrls", []) == [],
                "queues left",
            )

        with Step("wait for the bootstrap check (ran in parallel)"):
            boot_thread.join()
            for line in boot_log:
                print(line, flush=True)
            if boot_error:
                raise CheckFailed(f"bootstrap: {boot_error[0]}")
        ok = True
    except CheckFailed as exc:
        say(f"FAILED: {exc}")
    except Exception as exc:
        say(f"FAILED: {type(exc).__name__}: {exc}")
    finally:
        if applied and stack.exists():
            say("destroying after the failure")
            subprocess.run(
                [tf, "destroy", "-input=false", "-auto-approve", "-no-color"],
                check=False,
                env=env,
                cwd=stack,
                capture_output=True,
                timeout=600,
            )
        if boot_thread is not None and boot_thread.is_alive():
            # Never leave its terraform (and provider) running without a parent.
            say("waiting for the bootstrap check to end before stopping moto")
            boot_thread.join(timeout=900)
        if moto is not None:
            moto.terminate()
            try:
                moto.wait(timeout=10)
            except subprocess.TimeoutExpired:
                moto.kill()
    total = time.monotonic() - t_start
    timings.append(("total", total))
    (WORK / "timings.json").write_text(
        json.dumps({"passed": ok, "seconds": {k: round(v, 1) for k, v in timings}}, indent=2) + "\n"
    )
    say("timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings))
    if ok and not args.keep:
        for sub in ("stack", "bootstrap", "example"):
            shutil.rmtree(WORK / sub, ignore_errors=True)
    say("PASSED" if ok else f"FAILED (work files kept in {WORK})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
