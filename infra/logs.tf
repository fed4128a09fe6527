# One log group per job, /ecs/<prefix><job>, with retention, encrypted with the project key.
# The jobs' Embedded Metric Format lines land here and become CloudWatch metrics.

resource "aws_cloudwatch_log_group" "jobs" {
  for_each = local.jobs

  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days (30 by default): these are operational job logs, the metrics are extracted from them at ingestion, and a year of logs is cost without a reader.
  name              = "/ecs/${var.name_prefix}${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
}
