# An optional customer managed key for the project (var.kms_cmk_enabled, off by default):
# $1.00 a month plus $0.03 per 10,000 requests. When on, it encrypts the secrets, log
# groups, alarms topic, schedules and ECR repositories, rotated yearly by AWS.
#
# Off (issue 16), the same data is still encrypted at rest, with keys that cost nothing a
# month: SSM SecureString parameters and Secrets Manager secrets under the AWS managed keys
# aws/ssm and aws/secretsmanager (usable only through those services), log groups, schedules,
# ECR and the SQS queues under AWS owned keys. What a CMK adds is a key policy of our own and
# CloudTrail records of each use; for a Django key, a database URL and a Reddit app login
# that the operator can rotate in minutes, that is not worth $12 a year. The one thing left
# unencrypted is the alarms topic: CloudWatch alarms and EventBridge cannot publish to a
# topic under the AWS managed aws/sns key, and its messages carry job names and exit codes.

locals {
  # null = the service's default key (AWS managed or AWS owned).
  cmk_arn = var.kms_cmk_enabled ? aws_kms_key.this[0].arn : null
}

resource "aws_kms_key" "this" {
  count = var.kms_cmk_enabled ? 1 : 0

  description             = "Market Pulse: secrets, job logs, alarms topic, schedules, ECR"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # The account's IAM policies decide who else may use the key (the execution role
        # may decrypt through SSM or Secrets Manager only; see iam.tf).
        Sid       = "AccountAdministration"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogsForTheJobLogGroups"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/ecs/${var.name_prefix}*"
          }
        }
      },
      {
        # CloudWatch alarms and the EventBridge rule publish to the encrypted SNS topic.
        Sid       = "AlarmPublishersToTheEncryptedTopic"
        Effect    = "Allow"
        Principal = { Service = ["cloudwatch.amazonaws.com", "events.amazonaws.com"] }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
        }
      },
    ]
  })
}

resource "aws_kms_alias" "this" {
  count = var.kms_cmk_enabled ? 1 : 0

  name          = "alias/${local.base_name}"
  target_key_id = aws_kms_key.this[0].key_id
}
