# IAM, least privilege:
# - the task execution role (the ECS agent): pull the jobs image, write the jobs' log
#   groups, read the job secrets: ssm:GetParameters on the parameter path /<base_name>/*
#   only (SSM backend), or GetSecretValue on exactly the job secrets (Secrets Manager
#   backend); kms:Decrypt only with the project CMK and only through that service (the
#   AWS managed keys need no IAM grant: their key policy allows use through the service);
# - the task role (the jobs themselves): no permissions. The jobs call no AWS API: they
#   talk to Reddit and PostgreSQL, and their metrics are Embedded Metric Format lines on
#   stdout that CloudWatch Logs turns into metrics. Add a statement here when a job starts
#   calling AWS.
# - one scheduler role per schedule: RunTask on that job's task definition family in this
#   cluster only, PassRole on exactly the two task roles (to ECS tasks only), SendMessage
#   to that schedule's DLQ only.

data "aws_iam_policy_document" "ecs_tasks_trust" {
  statement {
    sid     = "EcsTasks"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${var.name_prefix}task-execution"
  description        = "Market Pulse: ECS agent for the scheduled jobs (image pull, logs, secrets)"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid = "EcrAuthTokenIsAccountWideByDesign"
    # GetAuthorizationToken has no resource-level permissions: AWS only accepts "*".
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "PullTheJobsImage"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [aws_ecr_repository.this["jobs"].arn]
  }

  statement {
    sid       = "WriteTheJobLogGroups"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [for k, g in aws_cloudwatch_log_group.jobs : "${g.arn}:log-stream:*" if local.jobs[k].log_policy == null]
  }

  dynamic "statement" {
    for_each = local.secrets_in_ssm ? [1] : []
    content {
      sid       = "ReadTheJobParametersUnderTheirPathOnly"
      actions   = ["ssm:GetParameters"]
      resources = ["arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter${local.ssm_parameter_path}/*"]
    }
  }

  dynamic "statement" {
    for_each = local.secrets_in_ssm ? [] : [1]
    content {
      sid       = "ReadExactlyTheJobSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [for s in aws_secretsmanager_secret.this : s.arn]
    }
  }

  dynamic "statement" {
    for_each = var.kms_cmk_enabled ? [1] : []
    content {
      sid       = "DecryptTheSecretsThroughTheirServiceOnly"
      actions   = ["kms:Decrypt"]
      resources = [local.cmk_arn]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [local.secrets_in_ssm ? "ssm.${local.region}.amazonaws.com" : "secretsmanager.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "pull-log-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# The jobs with a log_policy of their own (jobs.tf): the ECS agent writes their log group.
data "aws_iam_policy_document" "execution_logs" {
  for_each = { for name, job in local.jobs : name => job if job.log_policy != null }

  statement {
    sid       = "WriteThe${replace(title(replace(each.key, "-", " ")), " ", "")}LogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.jobs[each.key].arn}:log-stream:*"]
  }
}

resource "aws_iam_role_policy" "execution_logs" {
  for_each = data.aws_iam_policy_document.execution_logs

  name   = local.jobs[each.key].log_policy
  role   = aws_iam_role.execution.id
  policy = each.value.json
}

resource "aws_iam_role" "task" {
  name               = "${var.name_prefix}task"
  description        = "Market Pulse: the scheduled jobs themselves (no AWS permissions: they call no AWS API)"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
}

data "aws_iam_policy_document" "scheduler_trust" {
  for_each = local.scheduled_jobs

  statement {
    sid     = "EventBridgeSchedulerForThisSchedule"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:scheduler:${local.region}:${local.account_id}:schedule/default/${var.name_prefix}${each.key}"]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  for_each = local.scheduled_jobs

  name               = "${var.name_prefix}scheduler-${each.key}"
  description        = "Market Pulse: EventBridge Scheduler runs the ${each.key} task"
  assume_role_policy = data.aws_iam_policy_document.scheduler_trust[each.key].json
}

data "aws_iam_policy_document" "scheduler" {
  for_each = local.scheduled_jobs

  statement {
    sid       = "RunThisJobsTaskDefinitionInThisCluster"
    actions   = ["ecs:RunTask"]
    resources = ["arn:${local.partition}:ecs:${local.region}:${local.account_id}:task-definition/${var.name_prefix}${each.key}:*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [aws_ecs_cluster.this.arn]
    }
  }

  statement {
    # RunTask with managed/propagated tags tags the new task: allowed only as part of RunTask.
    sid       = "TagTheTasksItStarts"
    actions   = ["ecs:TagResource"]
    resources = ["arn:${local.partition}:ecs:${local.region}:${local.account_id}:task/${aws_ecs_cluster.this.name}/*"]
    condition {
      test     = "StringEquals"
      variable = "ecs:CreateAction"
      values   = ["RunTask"]
    }
  }

  statement {
    sid       = "PassExactlyTheTaskRolesToEcsTasks"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.execution.arn, each.value.task_role]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }

  dynamic "statement" {
    # With the project CMK the schedule is encrypted with it; the scheduler reads it as this
    # role. Without it, an AWS owned key needs no grant.
    for_each = var.kms_cmk_enabled ? [1] : []
    content {
      sid       = "DecryptThisSchedule"
      actions   = ["kms:Decrypt"]
      resources = [local.cmk_arn]
    }
  }

  statement {
    sid       = "DeadLetterToThisSchedulesQueue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq[each.key].arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  for_each = local.scheduled_jobs

  name   = "run-${each.key}"
  role   = aws_iam_role.scheduler[each.key].id
  policy = data.aws_iam_policy_document.scheduler[each.key].json
}
