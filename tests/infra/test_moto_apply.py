"""The whole stack (infra/) applied to moto in server mode, checked against the contract the
ops commands rely on, driven by `manage.py ecs` / `setup_secrets`, re-planned and destroyed.

Runs in `make infra-check` only (marker `infra`; see conftest.py for why and how). The tests
run in file order on one applied stack: the no-drift plan comes after the ops commands
(they must keep every field Terraform set) and the destroy comes last.
"""

from __future__ import annotations

import json

import pytest

from .harness import CLUSTER, JOBS, PREFIX, Stack, tail

TRAINING = "train-stance"  # the weekly job of infra/jobs.tf (its own checks: test_training_stack.py)

pytestmark = [pytest.mark.infra, pytest.mark.timeout(900)]

COMMANDS = {
    "scraper": ["scrape_reddit", "--mode", "incremental"],
    "sentiment": ["run_pipeline", "--skip", "scrape_reddit"],
    "status": ["daily_status"],
}
EXPRESSIONS = {"scraper": "rate(15 minutes)", "sentiment": "rate(15 minutes)", "status": "cron(0 4 * * ? *)"}
SECRETS = {  # secret short name -> the variable setup_secrets --from-env reads, and a value
    "django-secret-key": ("SECRET_DJANGO_SECRET_KEY", "ci-" + "k" * 40),
    "database-url": ("SECRET_DATABASE_URL", "postgres://mp:pw@db.internal:5432/marketpulse"),
    "reddit-client-id": ("SECRET_REDDIT_CLIENT_ID", "ci-client-id"),
    "reddit-client-secret": ("SECRET_REDDIT_CLIENT_SECRET", "ci-client-secret-value"),
}
# Bad inputs and the message of the validation that must reject each.
BAD_INPUTS = [
    ("sentiment_task_size={cpu=1024,memory=1024}", "valid Fargate pair"),
    ("scraper_task_size={cpu=256,memory=4096}", "valid Fargate pair"),
    ("scraper_schedule=rate(15 minute)", "scraper_schedule must be"),
    ("status_schedule=cron(0 4 * * ?)", "status_schedule must be"),
    ("log_retention_days=10", "log_retention_days must be"),
    ("container_user=0", "non-zero numeric uid"),
    ("name_prefix=Market_Pulse", "name_prefix must be"),
    ('job_environment={DATABASE_URL="postgres://x"}', "must not be one of the secrets"),
    ("network_mode=nat", "network_mode must be"),
]


@pytest.fixture(scope="module", autouse=True)
def _background_lane(bootstrap_started, example_plan_started):
    """Start infra/bootstrap's apply and the example plan now, so their provider waits overlap
    this module's apply (test_moto_bootstrap.py checks them)."""


def _policy(doc):
    return json.loads(doc) if isinstance(doc, str) else doc


def _schedule_states(aws) -> dict[str, str]:
    sched = aws("scheduler")
    return {job: sched.get_schedule(Name=f"{PREFIX}{job}", GroupName="default")["State"] for job in JOBS}


# --- before the apply: the variable validations ---------------------------------------------------


@pytest.fixture(scope="module")
def validation_plan(terraform, stack_dir) -> tuple[int, str]:
    """One `terraform plan` with every bad input (Terraform reports every failed validation in
    one run): its exit code and its output on one line, box drawing removed."""
    args = ["-input=false", "-lock=false", "-refresh=false"]
    for assignment, _ in BAD_INPUTS:
        args += ["-var", assignment]
    proc = terraform(stack_dir, "plan", *args)
    return proc.returncode, " ".join((proc.stdout + proc.stderr).replace("\u2502", " ").split())


@pytest.mark.parametrize(("assignment", "message"), BAD_INPUTS, ids=[a.split("=")[0] for a, _ in BAD_INPUTS])
def test_plan_rejects_bad_input_with_the_validation_message(validation_plan, assignment, message):
    returncode, text = validation_plan
    assert returncode == 1, text[-3000:]
    assert message in text, f"plan with {assignment} did not fail with {message!r}"


def test_plan_reports_one_validation_error_per_bad_input(validation_plan):
    _, text = validation_plan
    assert text.count("Invalid value for variable") == len(BAD_INPUTS), text[-3000:]


# --- what the apply made ---------------------------------------------------------------------------


def test_outputs_and_schedule_names(stack: Stack, aws):
    names = sorted(s["Name"] for s in aws("scheduler").list_schedules(NamePrefix=PREFIX)["Schedules"])
    assert names == sorted(f"{PREFIX}{job}" for job in (*JOBS, TRAINING))
    assert stack.outputs["schedule_names"] == {job: f"{PREFIX}{job}" for job in (*JOBS, TRAINING)}
    assert stack.outputs["cluster_name"] == CLUSTER


def test_s3_gateway_endpoint_on_the_given_route_tables(stack: Stack, aws):
    (endpoint,) = aws("ec2").describe_vpc_endpoints(VpcEndpointIds=[stack.outputs["s3_gateway_endpoint_id"]])[
        "VpcEndpoints"
    ]
    assert endpoint["VpcEndpointType"] == "Gateway"
    assert endpoint["RouteTableIds"] == stack.network["s3_gateway_route_table_ids"]


@pytest.mark.parametrize("job", JOBS)
def test_schedule_is_disabled_on_fargate_spot_with_retry_dlq_and_key(stack: Stack, aws, job):
    s = aws("scheduler").get_schedule(Name=f"{PREFIX}{job}", GroupName="default")
    assert s["State"] == "DISABLED", "schedules are created DISABLED (the cutover enables them)"
    assert s["ScheduleExpression"] == EXPRESSIONS[job]
    target = s["Target"]
    ecs = target["EcsParameters"]
    assert ecs["CapacityProviderStrategy"][0]["capacityProvider"] == "FARGATE_SPOT"
    assert "LaunchType" not in ecs, "a launch type beside the capacity provider strategy"
    assert ecs["TaskDefinitionArn"] == stack.outputs["task_definition_arns"][job]
    network = ecs["NetworkConfiguration"]["awsvpcConfiguration"]
    assert sorted(network["Subnets"]) == sorted(stack.network["private_subnet_ids"])
    assert network["SecurityGroups"] == [stack.outputs["task_security_group_id"]]
    assert network.get("AssignPublicIp") == "DISABLED"
    assert target["DeadLetterConfig"]["Arn"].endswith(f":{PREFIX}{job}-dlq")
    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 3600
    assert target["RoleArn"].endswith(f":role/{PREFIX}scheduler-{job}")
    # issue 16: no customer managed key by default (kms_cmk_enabled); an AWS owned key encrypts it
    assert not s.get("KmsKeyArn"), "schedule under a customer managed key with kms_cmk_enabled off"


@pytest.mark.parametrize("job", JOBS)
def test_task_definition_runs_the_job_read_only_as_non_root(stack: Stack, aws, job):
    td = aws("ecs").describe_task_definition(taskDefinition=f"{PREFIX}{job}")["taskDefinition"]
    assert td["requiresCompatibilities"] == ["FARGATE"]
    assert td["networkMode"] == "awsvpc"
    (c,) = td["containerDefinitions"]
    assert c["command"] == COMMANDS[job]
    assert c["stopTimeout"] == 120
    assert c["readonlyRootFilesystem"] is True
    assert c["mountPoints"][0]["containerPath"] == "/tmp", "the /tmp scratch volume"
    assert c["user"] and not c["user"].startswith("0") and c["user"] != "root"
    env = {e["name"]: e["value"] for e in c["environment"]}
    assert env.get("LOG_FORMAT") == "json"
    assert env.get("HF_HUB_OFFLINE") == "1"
    assert env.get("HF_HOME", "").startswith("/tmp/"), "HF_HOME outside the writable /tmp"
    assert all(s["valueFrom"].startswith("arn:aws:ssm:") for s in c["secrets"]), "secrets not SSM parameters by ARN"
    logs = c["logConfiguration"]
    assert logs["logDriver"] == "awslogs"
    assert logs["options"]["awslogs-group"] == f"/ecs/{PREFIX}{job}"


def test_every_job_container_has_the_same_common_settings(stack: Stack, aws):
    """local.job_container (tasks.tf) is the one definition of what every job container shares:
    the scheduled jobs, import-dump and train-stance differ only in name, command, size,
    secrets and log group."""
    own = {"name", "command", "cpu", "memory", "secrets", "logConfiguration"}
    common = {}
    for job in (*JOBS, "import-dump", "train-stance"):
        td = aws("ecs").describe_task_definition(taskDefinition=f"{PREFIX}{job}")["taskDefinition"]
        (c,) = td["containerDefinitions"]
        common[job] = {k: v for k, v in c.items() if k not in own}
        logs = c["logConfiguration"]
        assert logs["options"]["awslogs-stream-prefix"] == "ecs" and logs["logDriver"] == "awslogs", job
        assert c["name"] == job
    first = common[JOBS[0]]
    assert first["stopTimeout"] == 120 and first["readonlyRootFilesystem"] is True and first["environment"]
    for job, settings in common.items():
        assert settings == first, job


def test_cluster_has_both_fargate_capacity_providers(stack: Stack, aws):
    (cluster,) = aws("ecs").describe_clusters(clusters=[CLUSTER])["clusters"]
    assert set(cluster.get("capacityProviders", [])) == {"FARGATE", "FARGATE_SPOT"}


def test_log_groups_one_per_job_with_retention(stack: Stack, aws):
    groups = aws("logs").describe_log_groups(logGroupNamePrefix=f"/ecs/{PREFIX}")["logGroups"]
    assert sorted(g["logGroupName"] for g in groups) == sorted(
        f"/ecs/{PREFIX}{job}" for job in (*JOBS, TRAINING, "import-dump")
    )
    assert all(g.get("retentionInDays") for g in groups), "a log group without retention"


@pytest.mark.parametrize("job", JOBS)
def test_scheduler_role_runs_its_own_task_and_passes_exactly_the_two_task_roles(stack: Stack, aws, job):
    role = f"{PREFIX}scheduler-{job}"
    doc = _policy(aws("iam").get_role_policy(RoleName=role, PolicyName=f"run-{job}")["PolicyDocument"])
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    run_task = by_sid["RunThisJobsTaskDefinitionInThisCluster"]
    assert run_task["Resource"].endswith(f":task-definition/{PREFIX}{job}:*")
    pass_role = by_sid["PassExactlyTheTaskRolesToEcsTasks"]
    # the job's own task role: the shared permission-less one, or sentiment's (reads the model store)
    assert sorted(pass_role["Resource"]) == sorted(
        [stack.outputs["task_execution_role_arn"], stack.outputs["job_task_role_arns"][job]]
    )
    assert pass_role["Condition"]["StringEquals"]["iam:PassedToService"] == "ecs-tasks.amazonaws.com"
    assert [st["Sid"] for st in doc["Statement"] if st["Resource"] == "*"] == []


def test_execution_role_uses_star_only_for_the_ecr_token(stack: Stack, aws):
    doc = _policy(
        aws("iam").get_role_policy(RoleName=f"{PREFIX}task-execution", PolicyName="pull-log-secrets")["PolicyDocument"]
    )
    assert [s["Sid"] for s in doc["Statement"] if s["Resource"] == "*"] == ["EcrAuthTokenIsAccountWideByDesign"]


def test_task_role_has_no_policies(stack: Stack, aws):
    iam = aws("iam")
    assert iam.list_role_policies(RoleName=f"{PREFIX}task")["PolicyNames"] == []
    assert iam.list_attached_role_policies(RoleName=f"{PREFIX}task")["AttachedPolicies"] == []


def test_task_security_group_is_egress_only_and_reaches_postgres(stack: Stack, aws):
    ec2 = aws("ec2")
    (sg,) = ec2.describe_security_groups(GroupIds=[stack.outputs["task_security_group_id"]])["SecurityGroups"]
    assert sg["IpPermissions"] == [], "the task security group has ingress rules"
    (pg,) = ec2.describe_security_groups(GroupIds=[stack.network["postgres_security_group_id"]])["SecurityGroups"]
    assert any(
        p.get("FromPort") == 5432 and any(u["GroupId"] == sg["GroupId"] for u in p.get("UserIdGroupPairs", []))
        for p in pg["IpPermissions"]
    ), "no 5432 rule from the tasks on the PostgreSQL security group"


# --- the ops commands against what Terraform made ----------------------------------------------------


def test_manage_py_ecs_schedules_status_enable_all_disable_all(stack: Stack, aws, manage):
    proc = manage("ecs", "schedules", "status")
    assert proc.returncode == 0, tail(proc)
    assert all(f"{PREFIX}{job}" in proc.stdout for job in JOBS), proc.stdout

    proc = manage("ecs", "schedules", "enable", "--all")
    assert proc.returncode == 0, tail(proc)
    assert _schedule_states(aws) == dict.fromkeys(JOBS, "ENABLED")
    proc = manage("ecs", "schedules", "status")
    assert proc.returncode == 0, tail(proc)
    assert proc.stdout.count("ENABLED") >= len(JOBS), proc.stdout

    proc = manage("ecs", "schedules", "disable", "--all")
    assert proc.returncode == 0, tail(proc)
    assert _schedule_states(aws) == dict.fromkeys(JOBS, "DISABLED")


def test_manage_py_setup_secrets_fills_the_terraform_made_secrets(stack: Stack, aws, manage):
    proc = manage("setup_secrets", "--from-env", extra_env=dict(SECRETS.values()))
    assert proc.returncode == 0, tail(proc)
    assert not any(value in proc.stdout + proc.stderr for _, value in SECRETS.values()), "printed a secret value"
    ssm = aws("ssm")  # issue 16: SSM Parameter Store is the default secrets_backend
    for short, (_, value) in SECRETS.items():
        stored = ssm.get_parameter(Name=f"/market-pulse/{short}", WithDecryption=True)["Parameter"]["Value"]
        assert stored == value, f"secret {short} does not hold the value setup_secrets stored"


# --- no drift, then destroy --------------------------------------------------------------------------


def test_plan_after_apply_and_the_ops_commands_has_no_changes(stack: Stack, terraform):
    proc = terraform(stack.dir, "plan", "-input=false", "-detailed-exitcode")
    changes = [line for line in proc.stdout.splitlines() if line.strip().startswith(("#", "~", "+", "-"))]
    assert proc.returncode != 2, "terraform plan shows changes after apply and the ops round trip:\n" + "\n".join(
        changes
    )
    assert proc.returncode == 0, tail(proc)


def test_public_network_mode_moves_the_schedules_to_public_subnets_with_a_public_ip(stack: Stack, terraform, aws):
    """network_mode = "public" (issue 28): every schedule's task in the public subnets with a
    public IP, updated in place; the egress-only security group and everything else unchanged."""
    ec2 = aws("ec2")
    public = ec2.create_subnet(VpcId=stack.network["vpc_id"], CidrBlock="10.42.9.0/24")["Subnet"]["SubnetId"]
    refused = terraform(stack.dir, "plan", "-input=false", "-refresh=false", "-var", "network_mode=public")
    assert refused.returncode == 1 and "needs public_subnet_ids" in " ".join(refused.stderr.split()), tail(refused)
    planned = terraform(
        stack.dir,
        "plan",
        "-input=false",
        "-refresh=false",
        "-out=public.tfplan",
        "-var",
        "network_mode=public",
        "-var",
        f'public_subnet_ids=["{public}"]',
    )
    assert planned.returncode == 0, tail(planned)
    shown = terraform(stack.dir, "show", "-json", "public.tfplan")
    assert shown.returncode == 0, tail(shown)
    changes = [c for c in json.loads(shown.stdout)["resource_changes"] if c["change"]["actions"] != ["no-op"]]
    assert {c["type"] for c in changes} == {"aws_scheduler_schedule"}, [c["address"] for c in changes]
    assert {tuple(c["change"]["actions"]) for c in changes} == {("update",)}
    assert len(changes) == len(JOBS) + 1  # and train-stance's
    for change in changes:
        (network,) = change["change"]["after"]["target"][0]["ecs_parameters"][0]["network_configuration"]
        assert network["assign_public_ip"] is True and network["subnets"] == [public], change["address"]
        assert network["security_groups"] == [stack.outputs["task_security_group_id"]]


def test_destroy_leaves_nothing(stack: Stack, terraform, aws):
    # -refresh=false: the plan just before refreshed everything and found no drift.
    proc = terraform(stack.dir, "destroy", "-input=false", "-auto-approve", "-refresh=false")
    assert proc.returncode == 0, tail(proc)
    stack.applied = False
    assert aws("scheduler").list_schedules(NamePrefix=PREFIX)["Schedules"] == []
    assert aws("logs").describe_log_groups(logGroupNamePrefix=f"/ecs/{PREFIX}")["logGroups"] == []
    ecs = aws("ecs")
    assert [c for c in ecs.describe_clusters(clusters=[CLUSTER])["clusters"] if c["status"] == "ACTIVE"] == []
    assert ecs.list_task_definitions(familyPrefix=PREFIX, status="ACTIVE")["taskDefinitionArns"] == []
    assert [r["RoleName"] for r in aws("iam").list_roles()["Roles"] if r["RoleName"].startswith(PREFIX)] == []
    assert aws("sqs").list_queues(QueueNamePrefix=PREFIX).get("QueueUrls", []) == []
