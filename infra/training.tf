# Learning from reviewers (issue 12): the stance model store and the weekly train-stance job.
#
# - an S3 bucket for the model store (STANCE_MODEL_STORE=s3://<bucket>/stance): versioned,
#   encrypted (SSE-S3, or the project CMK when var.kms_cmk_enabled), no public access, TLS
#   only, old object versions expired;
# - the train-stance task (`train_stance --promote` on the jobs image) with its own task role:
#   list/get/put under the stance/ prefix, nothing else;
# - the sentiment task gets its own task role too (local.job_task_role_arns, read by tasks.tf
#   and iam.tf): list/get under the prefix, read only, so analyze_sentiment can load the
#   promoted model; the scraper and status tasks keep the permission-less shared task role;
# - a weekly EventBridge Scheduler schedule, DISABLED by default (var.train_stance_schedule_enabled),
#   in the style of schedules.tf: FARGATE_SPOT, retries, its own encrypted DLQ and an alarm on it.
#   A task that exits non-zero is caught by the cluster-wide task-stopped rules (alarms.tf);
#   a refused promotion exits 0 (it is a normal outcome).

locals {
  train_stance_job     = "train-stance"
  stance_model_prefix  = "stance"
  stance_model_store   = "s3://${aws_s3_bucket.models.bucket}/${local.stance_model_prefix}"
  train_stance_command = ["train_stance", "--promote"]
  train_stance_secrets = ["django-secret-key", "database-url"]

  # Jobs whose task role is not the shared permission-less one (tasks.tf, iam.tf).
  job_task_role_arns = {
    sentiment = aws_iam_role.sentiment_task.arn
  }
}

# --- The model store ------------------------------------------------------------------------------

resource "aws_s3_bucket" "models" {
  #checkov:skip=CKV_AWS_18:Access logging would need a second bucket for a few small objects written weekly by one task; CloudTrail records who reads and writes them.
  #checkov:skip=CKV_AWS_144:Cross-region replication doubles the cost of model files that train_stance can rebuild from the labelled data in the database.
  #checkov:skip=CKV2_AWS_62:No consumer of event notifications: the jobs read the PROMOTED pointer when they start.
  #checkov:skip=CKV_AWS_145:SSE-S3 (AES-256, S3 managed keys) by default, no monthly fee; var.kms_cmk_enabled switches to the project CMK ($1/month). The bucket holds trained model weights, no secrets. See kms.tf.
  bucket        = "${var.name_prefix}models-${local.account_id}"
  force_destroy = var.models_bucket_force_destroy
}

resource "aws_s3_bucket_ownership_controls" "models" {
  bucket = aws_s3_bucket.models.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "models" {
  bucket = aws_s3_bucket.models.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "models" {
  bucket = aws_s3_bucket.models.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_cmk_enabled ? "aws:kms" : "AES256"
      kms_master_key_id = local.cmk_arn
    }
    bucket_key_enabled = var.kms_cmk_enabled
  }
}

resource "aws_s3_bucket_public_access_block" "models" {
  bucket                  = aws_s3_bucket.models.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "models" {
  bucket = aws_s3_bucket.models.id

  rule {
    # Overwritten objects (every earlier PROMOTED pointer) are kept a while for a look back,
    # then expire. Model versions themselves are never overwritten, so they stay.
    id     = "expire-old-object-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.models_noncurrent_version_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.models]
}

data "aws_iam_policy_document" "models_bucket" {
  statement {
    sid       = "TlsOnly"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.models.arn, "${aws_s3_bucket.models.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "models" {
  bucket = aws_s3_bucket.models.id
  policy = data.aws_iam_policy_document.models_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.models]
}

# --- Task roles: train-stance writes the store, sentiment reads it --------------------------------

resource "aws_iam_role" "train_stance_task" {
  name               = "${var.name_prefix}task-${local.train_stance_job}"
  description        = "Market Pulse: the train-stance task (reads and writes the stance model store)"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
}

data "aws_iam_policy_document" "train_stance_task" {
  statement {
    sid       = "ListTheStancePrefix"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.models.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.stance_model_prefix}/*"]
    }
  }

  statement {
    sid       = "ReadAndWriteTheStanceModels"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${aws_s3_bucket.models.arn}/${local.stance_model_prefix}/*"]
  }

  dynamic "statement" {
    for_each = var.kms_cmk_enabled ? [1] : []
    content {
      sid       = "UseTheProjectKeyThroughS3Only"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [local.cmk_arn]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "train_stance_task" {
  name   = "stance-model-store-read-write"
  role   = aws_iam_role.train_stance_task.id
  policy = data.aws_iam_policy_document.train_stance_task.json
}

resource "aws_iam_role" "sentiment_task" {
  name               = "${var.name_prefix}task-sentiment"
  description        = "Market Pulse: the sentiment task (reads the promoted stance model, nothing else)"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
}

data "aws_iam_policy_document" "sentiment_task" {
  statement {
    sid       = "ListTheStancePrefix"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.models.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.stance_model_prefix}/*"]
    }
  }

  statement {
    sid       = "ReadTheStanceModels"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.models.arn}/${local.stance_model_prefix}/*"]
  }

  dynamic "statement" {
    for_each = var.kms_cmk_enabled ? [1] : []
    content {
      sid       = "DecryptThroughS3Only"
      actions   = ["kms:Decrypt"]
      resources = [local.cmk_arn]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "sentiment_task" {
  name   = "stance-model-store-read"
  role   = aws_iam_role.sentiment_task.id
  policy = data.aws_iam_policy_document.sentiment_task.json
}

# The ECS agent writes the train-stance log group too (the other groups: iam.tf).
data "aws_iam_policy_document" "execution_train_stance" {
  statement {
    sid       = "WriteTheTrainStanceLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.train_stance.arn}:log-stream:*"]
  }
}

resource "aws_iam_role_policy" "execution_train_stance" {
  name   = "logs-${local.train_stance_job}"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution_train_stance.json
}

# --- The task -------------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "train_stance" {
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days like every job log group (logs.tf); a weekly training log a year back has no reader, the versions' metrics live in the model store.
  #checkov:skip=CKV_AWS_158:Encrypted at rest by CloudWatch Logs with an AWS owned key; var.kms_cmk_enabled adds the project CMK ($1/month), like logs.tf. See kms.tf.
  name              = "/ecs/${var.name_prefix}${local.train_stance_job}"
  retention_in_days = var.log_retention_days
  kms_key_id        = local.cmk_arn
}

resource "aws_ecs_task_definition" "train_stance" {
  family                   = "${var.name_prefix}${local.train_stance_job}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.train_stance_task_size.cpu)
  memory                   = tostring(var.train_stance_task_size.memory)
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.train_stance_task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "tmp"
  }

  # The same container shape as the scheduled jobs (local.job_container, tasks.tf).
  container_definitions = jsonencode([merge(local.job_container, {
    name    = local.train_stance_job
    command = local.train_stance_command
    cpu     = var.train_stance_task_size.cpu
    memory  = var.train_stance_task_size.memory
    secrets = [for s in local.train_stance_secrets : { name = local.secrets[s], valueFrom = local.secret_arns[s] }]
    logConfiguration = {
      logDriver = "awslogs"
      options   = merge(local.job_log_options, { awslogs-group = aws_cloudwatch_log_group.train_stance.name })
    }
  })])
}

# --- The weekly schedule (DISABLED by default) ----------------------------------------------------

resource "aws_sqs_queue" "train_stance_dlq" {
  name                      = "${var.name_prefix}${local.train_stance_job}-dlq"
  message_retention_seconds = 1209600 # 14 days, the SQS maximum
  sqs_managed_sse_enabled   = true
}

data "aws_iam_policy_document" "scheduler_train_stance_trust" {
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
      values   = ["arn:${local.partition}:scheduler:${local.region}:${local.account_id}:schedule/default/${var.name_prefix}${local.train_stance_job}"]
    }
  }
}

resource "aws_iam_role" "scheduler_train_stance" {
  name               = "${var.name_prefix}scheduler-${local.train_stance_job}"
  description        = "Market Pulse: EventBridge Scheduler runs the train-stance task"
  assume_role_policy = data.aws_iam_policy_document.scheduler_train_stance_trust.json
}

data "aws_iam_policy_document" "scheduler_train_stance" {
  statement {
    sid       = "RunThisJobsTaskDefinitionInThisCluster"
    actions   = ["ecs:RunTask"]
    resources = ["arn:${local.partition}:ecs:${local.region}:${local.account_id}:task-definition/${var.name_prefix}${local.train_stance_job}:*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [aws_ecs_cluster.this.arn]
    }
  }

  statement {
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
    resources = [aws_iam_role.execution.arn, aws_iam_role.train_stance_task.arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }

  dynamic "statement" {
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
    resources = [aws_sqs_queue.train_stance_dlq.arn]
  }
}

resource "aws_iam_role_policy" "scheduler_train_stance" {
  name   = "run-${local.train_stance_job}"
  role   = aws_iam_role.scheduler_train_stance.id
  policy = data.aws_iam_policy_document.scheduler_train_stance.json
}

resource "aws_scheduler_schedule" "train_stance" {
  name                         = "${var.name_prefix}${local.train_stance_job}"
  group_name                   = "default"
  description                  = "Market Pulse: ${join(" ", local.train_stance_command)}"
  schedule_expression          = var.train_stance_schedule
  schedule_expression_timezone = "UTC"
  state                        = var.train_stance_schedule_enabled ? "ENABLED" : "DISABLED"
  kms_key_arn                  = local.cmk_arn

  flexible_time_window {
    mode                      = "FLEXIBLE"
    maximum_window_in_minutes = 60
  }

  target {
    arn      = aws_ecs_cluster.this.arn
    role_arn = aws_iam_role.scheduler_train_stance.arn

    ecs_parameters {
      task_definition_arn     = aws_ecs_task_definition.train_stance.arn
      task_count              = 1
      enable_ecs_managed_tags = true
      propagate_tags          = "TASK_DEFINITION"

      capacity_provider_strategy {
        capacity_provider = "FARGATE_SPOT"
        weight            = 1
      }

      network_configuration {
        subnets          = var.private_subnet_ids
        security_groups  = [aws_security_group.tasks.id]
        assign_public_ip = false
      }
    }

    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = var.schedule_max_retry_attempts
    }

    dead_letter_config {
      arn = aws_sqs_queue.train_stance_dlq.arn
    }
  }

  depends_on = [aws_iam_role_policy.scheduler_train_stance, aws_ecs_cluster_capacity_providers.this]
}

resource "aws_cloudwatch_metric_alarm" "train_stance_dlq" {
  alarm_name          = "${var.name_prefix}${local.train_stance_job}-dlq"
  alarm_description   = "A scheduled train-stance run could not be started (RunTask kept failing); the event is in ${aws_sqs_queue.train_stance_dlq.name}."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.train_stance_dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}
