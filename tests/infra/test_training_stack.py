"""infra/training.tf: the stance model bucket, the train-stance task and its weekly schedule,
and the model store's place in the sentiment task.

The unmarked tests parse the HCL (no Terraform; main suite). The `infra` tests assert on the
stack test_moto_apply.py applies to moto; conftest.py runs them inside that sequence,
before the no-drift plan and the destroy.
"""

from __future__ import annotations

import json

import hcl2
import pytest

from ops import aws as ops_aws

from .harness import INFRA, PREFIX, Stack, tail

JOB = "train-stance"
HCL = hcl2.SerializationOptions(strip_string_quotes=True, with_comments=False, explicit_blocks=False)


def _tf(name: str) -> dict:
    with open(INFRA / name) as f:
        return hcl2.load(f, serialization_options=HCL)


def _locals(name: str) -> dict:
    merged: dict = {}
    for block in _tf(name).get("locals", []):
        merged.update(block)
    return merged


def _policy(doc):
    return json.loads(doc) if isinstance(doc, str) else doc


def _as_list(value):
    return value if isinstance(value, list) else [value]


# --- contracts (no Terraform) ----------------------------------------------------------------


def test_train_stance_job_is_the_one_manage_py_ecs_knows():
    job = _locals("jobs.tf")["jobs"][JOB]
    assert job["command"] == ops_aws.JOBS[JOB].command.split() == ["train_stance", "--promote"]
    assert job["task_role"] == "${aws_iam_role.train_stance_task.arn}"
    assert job["enabled"] == "${var.train_stance_schedule_enabled}"
    assert ops_aws.job_name_resolve(JOB) == JOB
    assert ops_aws.schedule_name(JOB) == ops_aws.task_family(JOB) == f"{PREFIX}{JOB}"
    assert ops_aws.log_group(JOB) == f"/ecs/{PREFIX}{JOB}"


def test_the_store_reaches_the_jobs_as_stance_model_store(settings):
    environment = str(_locals("tasks.tf")["job_environment"])  # merge(var.job_environment, {...})
    assert "STANCE_MODEL_STORE" in environment and "local.stance_model_store" in environment
    assert hasattr(settings, "STANCE_MODEL_STORE")
    assert _locals("training.tf")["stance_model_store"].startswith("s3://")


def test_the_schedule_is_disabled_by_default():
    variables = {k: v for block in _tf("variables.tf")["variable"] for k, v in block.items()}
    assert variables["train_stance_schedule_enabled"]["default"] is False
    assert variables["train_stance_schedule"]["default"] == "cron(0 3 ? * SUN *)"


# --- what the apply made (moto) ------------------------------------------------------------------


@pytest.mark.infra
def test_train_stance_schedule_is_weekly_disabled_spot_with_retry_and_dlq(stack: Stack, aws):
    s = aws("scheduler").get_schedule(Name=f"{PREFIX}{JOB}", GroupName="default")
    assert s["State"] == "DISABLED"
    assert s["ScheduleExpression"] == "cron(0 3 ? * SUN *)"
    assert s["Name"] == stack.outputs["train_stance_schedule_name"]
    target = s["Target"]
    ecs = target["EcsParameters"]
    assert ecs["CapacityProviderStrategy"][0]["capacityProvider"] == "FARGATE_SPOT"
    assert ecs["TaskDefinitionArn"] == stack.outputs["train_stance_task_definition_arn"]
    assert ecs["NetworkConfiguration"]["awsvpcConfiguration"].get("AssignPublicIp") == "DISABLED"
    assert target["DeadLetterConfig"]["Arn"].endswith(f":{PREFIX}{JOB}-dlq")
    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert target["RoleArn"].endswith(f":role/{PREFIX}scheduler-{JOB}")
    assert not s.get("KmsKeyArn"), "issue 16: no customer managed key by default (kms_cmk_enabled)"
    alarms = aws("cloudwatch").describe_alarms(AlarmNames=[f"{PREFIX}{JOB}-dlq"])["MetricAlarms"]
    assert len(alarms) == 1 and alarms[0]["Dimensions"][0]["Value"] == f"{PREFIX}{JOB}-dlq"


@pytest.mark.infra
def test_train_stance_task_runs_train_stance_promote_with_the_store_and_its_own_role(stack: Stack, aws):
    ecs = aws("ecs")
    td = ecs.describe_task_definition(taskDefinition=f"{PREFIX}{JOB}")["taskDefinition"]
    (c,) = td["containerDefinitions"]
    assert c["command"] == ["train_stance", "--promote"]
    assert c["readonlyRootFilesystem"] is True and c["stopTimeout"] == 120
    env = {e["name"]: e["value"] for e in c["environment"]}
    store = stack.outputs["stance_model_store"]
    assert store == f"s3://{stack.outputs['models_bucket']}/stance"
    assert env["STANCE_MODEL_STORE"] == store and env["TMPDIR"] == "/tmp"
    assert c["logConfiguration"]["options"]["awslogs-group"] == f"/ecs/{PREFIX}{JOB}"
    assert td["taskRoleArn"].endswith(f":role/{PREFIX}task-{JOB}")
    assert td["taskRoleArn"] == stack.outputs["job_task_role_arns"][JOB]
    # the sentiment task reads the same store with its own (read-only) role; the others keep the shared one
    for job, role in (
        ("sentiment", f"{PREFIX}task-sentiment"),
        ("scraper", f"{PREFIX}task"),
        ("status", f"{PREFIX}task"),
    ):
        other = ecs.describe_task_definition(taskDefinition=f"{PREFIX}{job}")["taskDefinition"]
        assert other["taskRoleArn"].endswith(f":role/{role}"), job
        env = {e["name"]: e["value"] for e in other["containerDefinitions"][0]["environment"]}
        assert env["STANCE_MODEL_STORE"] == store, job


@pytest.mark.infra
def test_model_bucket_is_versioned_encrypted_private_tls_only_with_a_lifecycle(stack: Stack, aws):
    s3 = aws("s3")
    bucket = stack.outputs["models_bucket"]
    assert bucket == f"{PREFIX}models-123456789012"  # moto's account id
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"  # SSE-S3 without the CMK
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    (lifecycle,) = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert lifecycle["Status"] == "Enabled" and lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] == 90
    policy = _policy(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    (deny,) = policy["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"]["Bool"]["aws:SecureTransport"] == "false"


@pytest.mark.infra
def test_task_roles_are_least_privilege_on_the_stance_prefix(stack: Stack, aws):
    iam = aws("iam")
    bucket_arn = f"arn:aws:s3:::{stack.outputs['models_bucket']}"

    def statements(role: str, name: str) -> dict[str, dict]:
        assert iam.list_role_policies(RoleName=role)["PolicyNames"] == [name]
        assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
        doc = _policy(iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"])
        for st in doc["Statement"]:
            assert "*" not in _as_list(st["Resource"]), f"{role}: {st['Sid']} on *"
        return {st["Sid"]: st for st in doc["Statement"]}

    train = statements(f"{PREFIX}task-{JOB}", "stance-model-store-read-write")
    assert sorted(_as_list(train["ReadAndWriteTheStanceModels"]["Action"])) == ["s3:GetObject", "s3:PutObject"]
    assert _as_list(train["ReadAndWriteTheStanceModels"]["Resource"]) == [f"{bucket_arn}/stance/*"]
    assert _as_list(train["ListTheStancePrefix"]["Action"]) == ["s3:ListBucket"]
    assert train["ListTheStancePrefix"]["Condition"]["StringLike"]["s3:prefix"] in ("stance/*", ["stance/*"])

    read = statements(f"{PREFIX}task-sentiment", "stance-model-store-read")
    actions = {a for st in read.values() for a in _as_list(st["Action"])}
    assert actions == {"s3:ListBucket", "s3:GetObject"}, "the sentiment task only reads (no kms: no CMK)"
    assert _as_list(read["ReadTheStanceModels"]["Resource"]) == [f"{bucket_arn}/stance/*"]

    doc = _policy(iam.get_role_policy(RoleName=f"{PREFIX}scheduler-{JOB}", PolicyName=f"run-{JOB}")["PolicyDocument"])
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    assert by_sid["RunThisJobsTaskDefinitionInThisCluster"]["Resource"].endswith(f":task-definition/{PREFIX}{JOB}:*")
    assert sorted(by_sid["PassExactlyTheTaskRolesToEcsTasks"]["Resource"]) == sorted(
        [stack.outputs["task_execution_role_arn"], stack.outputs["job_task_role_arns"][JOB]]
    )


@pytest.mark.infra
def test_the_model_store_refuses_plain_http_and_the_commands_say_so(stack: Stack, manage):
    # moto's endpoint is http://: the bucket policy's TlsOnly statement denies every request,
    # and stance_models ends with one line and the store's exit code (3), no traceback.
    proc = manage("stance_models", "--store", stack.outputs["stance_model_store"])
    assert proc.returncode == 3, tail(proc)
    assert f"in {stack.outputs['stance_model_store']}" in proc.stderr and "Forbidden" in proc.stderr
    assert "Traceback" not in proc.stderr
