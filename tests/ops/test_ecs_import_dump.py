"""`manage.py ecs run import-dump --file s3://...`: one RunTask per file, against moto in server mode (issue 14)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.ops.conftest import CLUSTER, PREFIX, REGION

pytestmark = pytest.mark.slow

FAMILY = f"{PREFIX}import-dump"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def import_task(stack, boto):
    """The import-dump task definition infra/jobs.tf creates (no schedule of its own)."""
    return boto("ecs").register_task_definition(
        family=FAMILY,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="1024",
        memory="4096",
        containerDefinitions=[
            {
                "name": "import-dump",
                "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/market-pulse-jobs:abc123",
                "command": ["import_dump", "--help"],
                "memory": 4096,
                "essential": True,
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": f"/ecs/{FAMILY}",
                        "awslogs-region": REGION,
                        "awslogs-stream-prefix": "ecs",
                    },
                },
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]


def test_one_task_per_file_with_the_command_overridden(stack, boto, import_task):
    files = ["s3://dumps/reddit/RC_2021-01.zst", "s3://dumps/reddit/RC_2021-02.zst"]
    out = run(
        "ecs",
        "run",
        "import-dump",
        "--file",
        files[0],
        "--file",
        files[1],
        "--file",
        files[0],  # a repeat: once
        "--import-options",
        "--subreddit wallstreetbets --since 2021-01-05",
    )
    assert out.count(f"started {FAMILY} task") == 2 and "2 task(s)" in out
    ecs = boto("ecs")
    tasks = ecs.describe_tasks(cluster=CLUSTER, tasks=ecs.list_tasks(cluster=CLUSTER)["taskArns"])["tasks"]
    assert len(tasks) == 2
    commands = sorted(t["overrides"]["containerOverrides"][0]["command"] for t in tasks)
    assert commands == [
        ["import_dump", name, "--subreddit", "wallstreetbets", "--since", "2021-01-05"] for name in files
    ]
    for task in tasks:
        assert task["taskDefinitionArn"] == import_task
        assert task["overrides"]["containerOverrides"][0]["name"] == "import-dump"
        assert task.get("capacityProviderName") == "FARGATE_SPOT"  # resumable, so Spot by default
        details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
        assert details["subnetId"] == stack["subnet"]  # the scraper schedule's network


def test_dry_run_prints_one_request_per_file(stack, boto, import_task):
    out = run("ecs", "run", "import-dump", "--file", "s3://dumps/RS_2021-01.zst", "--on-demand", "--dry-run")
    body = out[out.index("{") :]
    request = json.loads(body)
    assert request["taskDefinition"] == FAMILY and request["launchType"] == "FARGATE"
    assert request["overrides"]["containerOverrides"][0]["command"] == ["import_dump", "s3://dumps/RS_2021-01.zst"]
    assert request["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"] == [stack["sg"]]
    assert not boto("ecs").list_tasks(cluster=CLUSTER)["taskArns"]


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["--file", "/data/RC_2021-01.zst"], "must be an S3 object", 1),
        (["--file", "s3://bucket-only"], "must be an S3 object", 1),
        ([], "needs at least one --file", 2),
        (["--file", "s3://dumps/RC.zst", "--command", "import_dump x"], "use --import-options", 2),
    ],
)
def test_bad_requests(stack, import_task, args, message, code):
    with pytest.raises(CommandError, match=message) as excinfo:
        run("ecs", "run", "import-dump", *args)
    assert excinfo.value.returncode == code


def test_file_goes_with_import_dump_only(stack):
    with pytest.raises(CommandError, match="--file goes with import-dump") as excinfo:
        run("ecs", "run", "scraper", "--file", "s3://dumps/RC.zst")
    assert excinfo.value.returncode == 2
