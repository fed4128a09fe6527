"""Issue 16 (cost) against the stack applied to moto: every failure still reaches the SNS
topic, the secrets are SSM SecureString parameters the task definitions read by ARN, no
customer managed key, logs kept 7 days, no Container Insights.

Runs in `make infra-check` only (marker `infra`), on the session's applied stack (the
`stack`, `aws` and `manage` fixtures of conftest.py), at the default variables. It writes
the parameters with `manage.py setup_secrets`; test_moto_apply.py's no-drift plan, later in
the session, then checks that Terraform does not want them back.
"""

from __future__ import annotations

import json

import pytest

from .harness import CLUSTER, JOBS, PREFIX, REGION, Stack, tail

pytestmark = [pytest.mark.infra, pytest.mark.timeout(900)]

SECRETS = {  # short name -> (the variable in the container, the SECRET_* setup_secrets reads, a value)
    "django-secret-key": ("DJANGO_SECRET_KEY", "SECRET_DJANGO_SECRET_KEY", "cost-" + "k" * 40),
    "database-url": ("DATABASE_URL", "SECRET_DATABASE_URL", "postgres://cost:pw@db.internal:5432/marketpulse-cost"),
    "reddit-client-id": ("REDDIT_CLIENT_ID", "SECRET_REDDIT_CLIENT_ID", "cost-client-id"),
    "reddit-client-secret": ("REDDIT_CLIENT_SECRET", "SECRET_REDDIT_CLIENT_SECRET", "cost-client-secret"),
}
#: The secrets each job's task definition names (infra/jobs.tf local.jobs).
JOB_SECRETS = {
    "scraper": set(SECRETS),
    "sentiment": {"django-secret-key", "database-url"},
    "status": {"django-secret-key", "database-url"},
}


def _topic(stack: Stack) -> str:
    return stack.outputs["alarms_topic_arn"]


def test_every_alarm_exists_and_notifies_the_topic(stack: Stack, aws):
    alarms = {a["AlarmName"]: a for a in aws("cloudwatch").describe_alarms(AlarmNamePrefix=PREFIX)["MetricAlarms"]}
    expected = {f"{PREFIX}{job}-dlq" for job in (*JOBS, "train-stance")}
    expected |= {f"{PREFIX}no-articles-scraped", f"{PREFIX}items-rejected", f"{PREFIX}score-backlog"}
    assert set(alarms) == expected
    for name, alarm in alarms.items():
        assert alarm["AlarmActions"] == [_topic(stack)], name
        assert alarm["OKActions"] == [_topic(stack)], name
    for job in (*JOBS, "train-stance"):
        dlq = alarms[f"{PREFIX}{job}-dlq"]
        assert dlq["Namespace"] == "AWS/SQS" and dlq["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert dlq["Dimensions"] == [{"Name": "QueueName", "Value": f"{PREFIX}{job}-dlq"}]
    scraped = alarms[f"{PREFIX}no-articles-scraped"]
    assert (scraped["Namespace"], scraped["MetricName"]) == ("MarketPulse", "ArticlesScraped")
    assert scraped["Dimensions"] == [{"Name": "Job", "Value": "scrape_reddit"}]
    assert scraped["TreatMissingData"] == "breaching", "a scraper that never runs must alarm too"
    rejected = alarms[f"{PREFIX}items-rejected"]
    assert (rejected["Namespace"], rejected["MetricName"]) == ("MarketPulse", "ItemsRejected")
    assert rejected["Dimensions"] == [{"Name": "Job", "Value": "scrape_reddit"}]
    assert rejected["Threshold"] == 50 and rejected["TreatMissingData"] == "notBreaching"
    backlog = alarms[f"{PREFIX}score-backlog"]
    assert (backlog["Namespace"], backlog["MetricName"]) == ("MarketPulse", "ScoreBacklog")
    assert backlog["Dimensions"] == [{"Name": "Job", "Value": "analyze_sentiment"}]
    # at most 4 custom metric/dimension pairs (each $0.30 a month): here 3
    custom = {
        (a["MetricName"], tuple((d["Name"], d["Value"]) for d in a["Dimensions"]))
        for a in alarms.values()
        if a["Namespace"] == "MarketPulse"
    }
    assert len(custom) == 3


@pytest.mark.parametrize(
    ("rule", "detail"),
    [
        ("task-nonzero-exit", {"lastStatus": ["STOPPED"], "containers": {"exitCode": [{"anything-but": [0]}]}}),
        ("task-failed-to-start", {"lastStatus": ["STOPPED"], "stopCode": ["TaskFailedToStart"]}),
    ],
)
def test_task_failures_reach_the_topic_through_eventbridge_for_free(stack: Stack, aws, rule, detail):
    events = aws("events")
    found = events.describe_rule(Name=f"{PREFIX}{rule}")
    assert found["State"] == "ENABLED"
    pattern = json.loads(found["EventPattern"])
    assert pattern["source"] == ["aws.ecs"] and pattern["detail-type"] == ["ECS Task State Change"]
    assert pattern["detail"]["clusterArn"] == [stack.outputs["cluster_arn"]]
    for key, value in detail.items():
        assert pattern["detail"][key] == value, key
    (target,) = events.list_targets_by_rule(Rule=f"{PREFIX}{rule}")["Targets"]
    assert target["Arn"] == _topic(stack)
    assert "<exitCode>" in target["InputTransformer"]["InputTemplate"]


def test_topic_policy_lets_cloudwatch_and_the_two_rules_publish(stack: Stack, aws):
    attrs = aws("sns").get_topic_attributes(TopicArn=_topic(stack))["Attributes"]
    policy = json.loads(attrs["Policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["CloudWatchAlarmsOfThisAccount"]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    rules = by_sid["TheTaskStoppedRules"]["Condition"]["ArnEquals"]["aws:SourceArn"]
    rules = [rules] if isinstance(rules, str) else rules
    assert sorted(r.rsplit("/", 1)[-1] for r in rules) == [
        f"{PREFIX}task-failed-to-start",
        f"{PREFIX}task-nonzero-exit",
    ]
    # no customer managed key by default: CloudWatch and EventBridge cannot use aws/sns
    assert not attrs.get("KmsMasterKeyId")


def test_secrets_are_ssm_securestring_parameters_under_the_aws_managed_key(stack: Stack, aws):
    ssm = aws("ssm")
    params = {p["Name"]: p for p in ssm.describe_parameters()["Parameters"]}
    assert set(params) == {f"/market-pulse/{short}" for short in SECRETS}
    for name, param in params.items():
        assert param["Type"] == "SecureString", name
        assert param.get("KeyId", "alias/aws/ssm") == "alias/aws/ssm", name
        assert param.get("Tier", "Standard") == "Standard", name
    assert stack.outputs["secrets_backend"] == "ssm"
    assert stack.outputs["kms_key_arn"] == ""
    assert sorted(stack.outputs["secret_arns"]) == sorted(SECRETS)
    for short, arn in stack.outputs["secret_arns"].items():
        assert arn.startswith(f"arn:aws:ssm:{REGION}:") and arn.endswith(f":parameter/market-pulse/{short}")
    assert aws("secretsmanager").list_secrets()["SecretList"] == [], "Secrets Manager is the alternative, not both"
    aliases = [a["AliasName"] for a in aws("kms").list_aliases()["Aliases"]]
    assert "alias/market-pulse" not in aliases, "the customer managed key is off by default"


@pytest.mark.parametrize("job", JOBS)
def test_task_definitions_read_the_ssm_parameters_by_arn(stack: Stack, aws, job):
    td = aws("ecs").describe_task_definition(taskDefinition=f"{PREFIX}{job}")["taskDefinition"]
    (container,) = td["containerDefinitions"]
    by_variable = {s["name"]: s["valueFrom"] for s in container["secrets"]}
    assert by_variable == {SECRETS[short][0]: stack.outputs["secret_arns"][short] for short in JOB_SECRETS[job]}
    env = {e["name"]: e["value"] for e in container["environment"]}
    assert env["SENTIMENT_QUANTIZE"] == "true"
    assert not set(env) & {variable for variable, _, _ in SECRETS.values()}, "a secret in the plain environment"


def test_execution_role_reads_the_parameter_path_only(stack: Stack, aws):
    doc = aws("iam").get_role_policy(RoleName=f"{PREFIX}task-execution", PolicyName="pull-log-secrets")
    statements = {s["Sid"]: s for s in doc["PolicyDocument"]["Statement"]}
    read = statements["ReadTheJobParametersUnderTheirPathOnly"]
    actions = read["Action"] if isinstance(read["Action"], list) else [read["Action"]]
    assert actions == ["ssm:GetParameters"]
    assert read["Resource"] == f"arn:aws:ssm:{REGION}:123456789012:parameter/market-pulse/*"
    every_action = [
        a for s in statements.values() for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    ]
    assert not [a for a in every_action if a.startswith(("secretsmanager:", "kms:"))], every_action


def test_scheduler_roles_need_no_kms_without_the_key(stack: Stack, aws):
    for job in (*JOBS, "train-stance"):
        doc = aws("iam").get_role_policy(RoleName=f"{PREFIX}scheduler-{job}", PolicyName=f"run-{job}")
        sids = [s["Sid"] for s in doc["PolicyDocument"]["Statement"]]
        assert "DecryptThisSchedule" not in sids, job
        assert not aws("scheduler").get_schedule(Name=f"{PREFIX}{job}", GroupName="default").get("KmsKeyArn"), job


def test_logs_kept_a_week_and_no_container_insights(stack: Stack, aws):
    groups = aws("logs").describe_log_groups(logGroupNamePrefix=f"/ecs/{PREFIX}")["logGroups"]
    names = {g["logGroupName"] for g in groups}
    assert {f"/ecs/{PREFIX}{job}" for job in (*JOBS, "train-stance", "import-dump")} <= names
    assert {g["retentionInDays"] for g in groups} == {7}, "every log group of the stack keeps 7 days"
    (cluster,) = aws("ecs").describe_clusters(clusters=[CLUSTER], include=["SETTINGS"])["clusters"]
    settings = {s["name"]: s["value"] for s in cluster.get("settings", [])}
    assert settings.get("containerInsights", "disabled") == "disabled"


def test_setup_secrets_fills_the_terraform_made_parameters_and_keeps_their_key(stack: Stack, aws, manage):
    ssm = aws("ssm")
    before = {p["Name"]: p.get("KeyId") for p in ssm.describe_parameters()["Parameters"]}
    proc = manage("setup_secrets", "--from-env", extra_env={env: value for _, env, value in SECRETS.values()})
    assert proc.returncode == 0, tail(proc)
    assert not any(value in proc.stdout + proc.stderr for _, _, value in SECRETS.values()), "printed a secret value"
    # Terraform's placeholders (or another test's values) replaced: never created beside them
    assert proc.stdout.count(": updated") == 4, proc.stdout
    for short, (_, _, value) in SECRETS.items():
        stored = ssm.get_parameter(Name=f"/market-pulse/{short}", WithDecryption=True)["Parameter"]
        assert stored["Value"] == value, short
        assert stored["Type"] == "SecureString"
    after = {p["Name"]: p.get("KeyId") for p in ssm.describe_parameters()["Parameters"]}
    assert after == before, "setup_secrets moved a parameter to another key"
