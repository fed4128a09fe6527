"""ECS work for `manage.py ecs`: EventBridge Scheduler schedules, ECS tasks, CloudWatch Logs.

Every AWS failure is an `ops.aws.AwsError` of one line. See docs/design/operations.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings

from ops import aws

# --- schedules (EventBridge Scheduler) ----------------------------------------------------------


@dataclass
class Schedule:
    name: str
    group: str
    state: str
    expression: str
    target_arn: str = ""
    task_definition_arn: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


def _schedule_from(detail: dict[str, Any]) -> Schedule:
    target = detail.get("Target") or {}
    ecs = target.get("EcsParameters") or {}
    return Schedule(
        name=detail["Name"],
        group=detail.get("GroupName") or "default",
        state=detail.get("State", ""),
        expression=detail.get("ScheduleExpression", ""),
        target_arn=target.get("Arn", ""),
        task_definition_arn=ecs.get("TaskDefinitionArn", ""),
        raw=detail,
    )


def schedules_list(*, prefix: str | None = None, group: str | None = None) -> list[Schedule]:
    """The schedules whose names start with the prefix, sorted by name, with their targets."""
    prefix = aws.name_prefix() if prefix is None else prefix
    client = aws.client_for("scheduler")
    summaries: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"NamePrefix": prefix}
        if group:
            kwargs["GroupName"] = group
        if token:
            kwargs["NextToken"] = token
        page = aws.call("list schedules", client.list_schedules, **kwargs)
        # NamePrefix is a server-side filter on AWS; filter again so a lax server cannot widen it.
        summaries.extend(s for s in page.get("Schedules", []) if s["Name"].startswith(prefix))
        token = page.get("NextToken")
        if not token:
            break
    out = []
    for summary in summaries:
        detail = aws.call(
            f"get schedule {summary['Name']}",
            client.get_schedule,
            Name=summary["Name"],
            GroupName=summary.get("GroupName") or "default",
        )
        out.append(_schedule_from(detail))
    return sorted(out, key=lambda s: (s.name, s.group))


def schedule_get(*, name: str, group: str = "default") -> Schedule:
    client = aws.client_for("scheduler")
    try:
        detail = aws.call(f"get schedule {name}", client.get_schedule, Name=name, GroupName=group)
    except aws.AwsError as exc:
        if exc.code == "ResourceNotFoundException":
            raise aws.AwsError(f"no schedule named {name!r} in group {group!r}") from None
        raise
    return _schedule_from(detail)


# UpdateSchedule replaces the whole schedule: everything we do not mean to change is sent back.
_SCHEDULE_KEEP = (
    "Description",
    "ScheduleExpressionTimezone",
    "StartDate",
    "EndDate",
    "KmsKeyArn",
    "ActionAfterCompletion",
)


def schedule_set_state(
    *, name: str, enabled: bool, group: str = "default", dry_run: bool = False
) -> tuple[Schedule, bool]:
    """Enable or disable one schedule. Returns (the schedule as it is now, whether it changed)."""
    current = schedule_get(name=name, group=group)
    wanted = "ENABLED" if enabled else "DISABLED"
    if current.state == wanted or dry_run:
        return current, current.state != wanted
    detail = current.raw
    kwargs: dict[str, Any] = {
        "Name": current.name,
        "GroupName": current.group,
        "ScheduleExpression": detail["ScheduleExpression"],
        "FlexibleTimeWindow": detail.get("FlexibleTimeWindow") or {"Mode": "OFF"},
        "Target": detail["Target"],
        "State": wanted,
    }
    for key in _SCHEDULE_KEEP:
        if detail.get(key) not in (None, ""):
            kwargs[key] = detail[key]
    client = aws.client_for("scheduler")
    aws.call(f"update schedule {name}", client.update_schedule, **kwargs)
    return schedule_get(name=name, group=group), True


# --- tasks (ECS) ----------------------------------------------------------------------------------


@dataclass
class RunRequest:
    job: str
    cluster: str
    subnets: list[str] = field(default_factory=list)
    security_groups: list[str] = field(default_factory=list)
    assign_public_ip: bool | None = None
    command: list[str] | None = None
    environment: dict[str, str] = field(default_factory=dict)
    cpu: int | None = None
    memory: int | None = None
    use_spot: bool | None = None


def _network_from_schedule(job: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]] | None]:
    """The awsvpc configuration and capacity provider strategy the job's schedule uses, if any."""
    try:
        schedule = schedule_get(name=aws.schedule_name(job))
    except aws.AwsError:
        return None, None
    ecs = (schedule.raw.get("Target") or {}).get("EcsParameters") or {}
    network = ecs.get("NetworkConfiguration") or {}
    awsvpc = network.get("awsvpcConfiguration") or {}
    converted = None
    if awsvpc.get("Subnets"):
        converted = {
            "awsvpcConfiguration": {
                "subnets": list(awsvpc["Subnets"]),
                "securityGroups": list(awsvpc.get("SecurityGroups") or []),
                "assignPublicIp": awsvpc.get("AssignPublicIp") or "DISABLED",
            }
        }
    strategy = [
        {k[0].lower() + k[1:]: v for k, v in item.items()} for item in ecs.get("CapacityProviderStrategy") or []
    ]
    return converted, strategy or None


def task_run(*, request: RunRequest, dry_run: bool = False) -> dict[str, Any]:
    """RunTask for the job's task definition, with the schedule's network configuration
    unless subnets/security groups are given. Returns the task (or the request, dry run)."""
    job = aws.job_name_resolve(request.job)
    family = aws.task_family(job)
    network, strategy = _network_from_schedule(job)
    if request.subnets:
        network = {
            "awsvpcConfiguration": {
                "subnets": list(request.subnets),
                "securityGroups": list(request.security_groups),
                "assignPublicIp": "ENABLED" if request.assign_public_ip else "DISABLED",
            }
        }
    elif network is not None:
        if request.security_groups:
            network["awsvpcConfiguration"]["securityGroups"] = list(request.security_groups)
        if request.assign_public_ip is not None:
            network["awsvpcConfiguration"]["assignPublicIp"] = "ENABLED" if request.assign_public_ip else "DISABLED"
    if network is None:
        raise aws.AwsError(
            f"no network configuration for {family}: the schedule {aws.schedule_name(job)} was not found or has none; "
            "pass --subnets and --security-groups"
        )
    if not network["awsvpcConfiguration"].get("securityGroups"):
        raise aws.AwsError(f"no security group for {family}: pass --security-groups")

    kwargs: dict[str, Any] = {
        "cluster": request.cluster,
        "taskDefinition": family,
        "count": 1,
        "startedBy": "manage.py ecs run",
        "networkConfiguration": network,
    }
    if request.use_spot is True or (request.use_spot is None and strategy):
        kwargs["capacityProviderStrategy"] = strategy or [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]
    else:
        kwargs["launchType"] = "FARGATE"
    container: dict[str, Any] = {}
    if request.command:
        container["command"] = list(request.command)
    if request.environment:
        container["environment"] = [{"name": k, "value": v} for k, v in sorted(request.environment.items())]
    overrides: dict[str, Any] = {}
    if request.cpu:
        overrides["cpu"] = str(request.cpu)
    if request.memory:
        overrides["memory"] = str(request.memory)
    if container:
        client = aws.client_for("ecs")
        described = aws.call(
            f"describe task definition {family}", client.describe_task_definition, taskDefinition=family
        )
        container["name"] = described["taskDefinition"]["containerDefinitions"][0]["name"]
        overrides["containerOverrides"] = [container]
    if overrides:
        kwargs["overrides"] = overrides
    if dry_run:
        return kwargs
    client = aws.client_for("ecs")
    _cluster_require(client, request.cluster)
    response = aws.call(f"run task {family} on cluster {request.cluster}", client.run_task, **kwargs)
    failures = response.get("failures") or []
    if failures:
        first = failures[0]
        raise aws.AwsError(f"run task {family}: {first.get('reason', 'failed')} ({first.get('arn', '')})".strip())
    tasks = response.get("tasks") or []
    if not tasks:
        raise aws.AwsError(f"run task {family}: ECS started no task")
    return tasks[0]


def _cluster_require(client: Any, cluster: str) -> None:
    described = aws.call(f"describe cluster {cluster}", client.describe_clusters, clusters=[cluster])
    active = [c for c in described.get("clusters") or [] if c.get("status") == "ACTIVE"]
    if not active:
        raise aws.AwsError(
            f"cluster {cluster!r} not found (or not ACTIVE) in {settings.AWS_REGION}; check ECS_CLUSTER / --cluster"
        )


@dataclass
class TaskInfo:
    arn: str
    task_id: str
    family: str
    last_status: str
    desired_status: str
    started_at: datetime | None
    stopped_at: datetime | None
    stop_code: str
    stopped_reason: str
    exit_codes: dict[str, int | None]
    capacity_provider: str


def tasks_list(*, cluster: str, prefix: str | None = None) -> list[TaskInfo]:
    """Running and stopped tasks (ECS keeps stopped ones about an hour) of our families, newest first."""
    prefix = aws.name_prefix() if prefix is None else prefix
    client = aws.client_for("ecs")
    _cluster_require(client, cluster)
    arns: list[str] = []
    for desired in ("RUNNING", "STOPPED"):
        token = None
        while True:
            kwargs: dict[str, Any] = {"cluster": cluster, "desiredStatus": desired}
            if token:
                kwargs["nextToken"] = token
            page = aws.call(f"list tasks on {cluster}", client.list_tasks, **kwargs)
            arns.extend(a for a in page.get("taskArns", []) if a not in arns)
            token = page.get("nextToken")
            if not token:
                break
    out: list[TaskInfo] = []
    for start in range(0, len(arns), 100):
        described = aws.call("describe tasks", client.describe_tasks, cluster=cluster, tasks=arns[start : start + 100])
        for task in described.get("tasks", []):
            family = task.get("taskDefinitionArn", "").rsplit("/", 1)[-1].split(":", 1)[0]
            if not family.startswith(prefix):
                continue
            out.append(
                TaskInfo(
                    arn=task["taskArn"],
                    task_id=task["taskArn"].rsplit("/", 1)[-1],
                    family=family,
                    last_status=task.get("lastStatus", ""),
                    desired_status=task.get("desiredStatus", ""),
                    started_at=_as_datetime(task.get("startedAt") or task.get("createdAt")),
                    stopped_at=_as_datetime(task.get("stoppedAt")),
                    stop_code=task.get("stopCode", ""),
                    stopped_reason=task.get("stoppedReason", ""),
                    exit_codes={c.get("name", "?"): c.get("exitCode") for c in task.get("containers", [])},
                    capacity_provider=task.get("capacityProviderName") or task.get("launchType") or "",
                )
            )
    epoch = datetime.min.replace(tzinfo=UTC)
    return sorted(out, key=lambda t: t.started_at or epoch, reverse=True)


def _as_datetime(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(float(value), tz=UTC)


# --- logs (CloudWatch Logs) ---------------------------------------------------------------------


@dataclass
class LogEvent:
    timestamp: datetime
    stream: str
    message: str
    event_id: str


def logs_read(
    *,
    job: str,
    since: timedelta,
    follow: bool = False,
    follow_for: float | None = None,
    poll_seconds: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[LogEvent]:
    """Events of the job's log group since `since` ago, oldest first; with follow, keep polling
    (until `follow_for` seconds have passed, or forever)."""
    group = aws.log_group(job)
    client = aws.client_for("logs")
    start_ms = int((datetime.now(UTC) - since).timestamp() * 1000)
    seen: set[str] = set()
    deadline = None if follow_for is None else time.monotonic() + follow_for
    while True:
        token = None
        newest = start_ms
        while True:
            kwargs: dict[str, Any] = {"logGroupName": group, "startTime": start_ms}
            if token:
                kwargs["nextToken"] = token
            try:
                page = aws.call(f"read logs {group}", client.filter_log_events, **kwargs)
            except aws.AwsError as exc:
                if exc.code == "ResourceNotFoundException":
                    raise aws.AwsError(f"no log group {group!r} in {settings.AWS_REGION}") from None
                raise
            for event in page.get("events", []):
                event_id = (
                    event.get("eventId") or f"{event.get('logStreamName')}:{event['timestamp']}:{event.get('message')}"
                )
                newest = max(newest, int(event["timestamp"]))
                if event_id in seen:
                    continue
                seen.add(event_id)
                yield LogEvent(
                    timestamp=datetime.fromtimestamp(event["timestamp"] / 1000, tz=UTC),
                    stream=event.get("logStreamName", ""),
                    message=event.get("message", "").rstrip("\n"),
                    event_id=event_id,
                )
            next_token = page.get("nextToken")
            if not next_token or next_token == token:
                break
            token = next_token
        if not follow:
            return
        if deadline is not None and time.monotonic() >= deadline:
            return
        # Re-read from the newest timestamp seen; `seen` drops the repeats at that millisecond.
        start_ms = newest
        sleep(poll_seconds)


# --- dump imports (issue 14): one task per file ----------------------------------------------------

IMPORT_DUMP_JOB = "import-dump"
#: The scheduled job whose network (subnets, security groups) an import borrows: it has no schedule of its own.
IMPORT_DUMP_NETWORK_FROM = "scraper"


def dump_imports_run(
    *, files: list[str], request: RunRequest, import_options: list[str] | None = None, dry_run: bool = False
) -> list[tuple[str, dict[str, Any]]]:
    """One RunTask of the import-dump task definition per file, the command overridden to
    `import_dump FILE [import_options]`. Returns (file, task or request) pairs.

    The files must be S3 objects (the task cannot see the operator's disk). The import
    task has no schedule, so unless subnets are given it runs in the scraper schedule's
    subnets and security groups; it runs on FARGATE_SPOT unless `use_spot` is False (an
    interrupted import resumes from its checkpoint when started again).
    """
    wanted: list[str] = []
    for name in files:
        if not name.startswith("s3://") or "/" not in name[len("s3://") :].strip("/"):
            raise aws.AwsError(f"--file must be an S3 object, s3://bucket/key, not {name!r}")
        if name not in wanted:
            wanted.append(name)
    if not wanted:
        raise aws.AwsError("ecs run import-dump needs at least one --file s3://bucket/key")
    base = RunRequest(**{**request.__dict__, "job": IMPORT_DUMP_JOB})
    if not base.subnets:
        network, _ = _network_from_schedule(IMPORT_DUMP_NETWORK_FROM)
        if network is not None:
            awsvpc = network["awsvpcConfiguration"]
            base.subnets = list(awsvpc["subnets"])
            base.security_groups = base.security_groups or list(awsvpc["securityGroups"])
            if base.assign_public_ip is None:
                base.assign_public_ip = awsvpc.get("assignPublicIp") == "ENABLED"
    if base.use_spot is None:
        base.use_spot = True
    started = []
    for name in wanted:
        one = RunRequest(**{**base.__dict__, "command": ["import_dump", name, *(import_options or [])]})
        started.append((name, task_run(request=one, dry_run=dry_run)))
    return started
