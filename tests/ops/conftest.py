"""Fixtures for the ops tests: a real AWS API server (moto in server mode) and the
resources the Terraform in infra/ would create, made through boto3 against it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
PREFIX = "market-pulse-"
CLUSTER = "market-pulse"
JOBS = {
    "scraper": ["scrape_reddit", "--mode", "incremental"],
    "sentiment": ["analyze_sentiment", "--source", "reddit"],
    "status": ["daily_status"],
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint():
    """`moto_server` on 127.0.0.1 and a free port, for the whole session; stopped at the end."""
    exe = Path(sys.executable).with_name("moto_server")
    if not exe.exists():
        exe = Path(shutil.which("moto_server") or "moto_server")
    port = _free_port()
    log = open(ROOT / "var" / f"moto-{os.getpid()}.log", "wb")
    proc = subprocess.Popen([str(exe), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                log.close()
                raise RuntimeError(f"moto_server did not start (see {log.name})") from None
            time.sleep(0.1)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def aws_env(moto_endpoint, monkeypatch, tmp_path):
    """Standard AWS variables pointing boto3 at the moto server; state reset per test."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"), timeout=10).read()
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    env = {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def boto(aws_env):
    import boto3

    session = boto3.session.Session(region_name=REGION)
    return lambda service: session.client(service)


@pytest.fixture
def stack(boto):
    """What infra/ creates, minus IAM detail: VPC, subnet, security group, cluster with
    Fargate capacity providers, one task definition, schedule and log group per job."""
    ec2 = boto("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    # Private DNS hostnames on, as in a usual VPC (moto's awsvpc RunTask also needs it for the ENI's DNS name).
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="market-pulse-tasks", Description="tasks", VpcId=vpc)["GroupId"]

    ecs = boto("ecs")
    cluster_arn = ecs.create_cluster(
        clusterName=CLUSTER,
        capacityProviders=["FARGATE", "FARGATE_SPOT"],
        defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
    )["cluster"]["clusterArn"]

    iam = boto("iam")
    role_arn = iam.create_role(
        RoleName="market-pulse-scheduler",
        AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[]}',
    )["Role"]["Arn"]

    logs = boto("logs")
    scheduler = boto("scheduler")
    task_defs = {}
    for job, command in JOBS.items():
        family = f"{PREFIX}{job}"
        task_def = ecs.register_task_definition(
            family=family,
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="512",
            memory="1024",
            containerDefinitions=[
                {
                    "name": job,
                    "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/market-pulse-jobs:abc123",
                    "command": command,
                    "memory": 1024,  # moto wants a per-container memory
                    "essential": True,
                    "logConfiguration": {
                        "logDriver": "awslogs",
                        "options": {
                            "awslogs-group": f"/ecs/{family}",
                            "awslogs-region": REGION,
                            "awslogs-stream-prefix": "ecs",
                        },
                    },
                }
            ],
        )["taskDefinition"]
        task_defs[job] = task_def["taskDefinitionArn"]
        logs.create_log_group(logGroupName=f"/ecs/{family}")
        scheduler.create_schedule(
            Name=family,
            ScheduleExpression="cron(0 4 * * ? *)" if job == "status" else "rate(15 minutes)",
            FlexibleTimeWindow={"Mode": "OFF"},
            State="DISABLED",
            Description=f"Market Pulse {job}",
            Target={
                "Arn": cluster_arn,
                "RoleArn": role_arn,
                "RetryPolicy": {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 2},
                "EcsParameters": {
                    "TaskDefinitionArn": task_def["taskDefinitionArn"],
                    "TaskCount": 1,
                    "CapacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
                    "NetworkConfiguration": {
                        "awsvpcConfiguration": {
                            "Subnets": [subnet],
                            "SecurityGroups": [sg],
                            "AssignPublicIp": "DISABLED",
                        }
                    },
                },
            },
        )
    # A schedule that is not ours: the prefix must leave it alone.
    scheduler.create_schedule(
        Name="other-team-nightly",
        ScheduleExpression="rate(1 day)",
        FlexibleTimeWindow={"Mode": "OFF"},
        State="ENABLED",
        Target={"Arn": cluster_arn, "RoleArn": role_arn},
    )
    return {
        "vpc": vpc,
        "subnet": subnet,
        "sg": sg,
        "cluster_arn": cluster_arn,
        "task_defs": task_defs,
        "role": role_arn,
    }
