"""Fixtures for the ops tests: a real AWS API server (moto in server mode) and the
resources the Terraform in infra/ would create, made through boto3 against it."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT
from tests.moto import REGION

__all__ = ["CLUSTER", "JOBS", "PREFIX", "REGION", "ROOT"]

PREFIX = "market-pulse-"
CLUSTER = "market-pulse"
JOBS = {
    "scraper": ["scrape_reddit", "--mode", "incremental"],
    "sentiment": ["analyze_sentiment", "--source", "reddit"],
    "status": ["daily_status"],
}


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
