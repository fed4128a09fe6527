# One log group per job, /ecs/<prefix><job>, kept var.log_retention_days (7 by default,
# issue 16). Encrypted at rest by CloudWatch Logs (AWS owned key), or with the project CMK
# when var.kms_cmk_enabled. The jobs' Embedded Metric Format lines land here and the two
# declared metrics (ArticlesScraped, ScoreBacklog) are extracted at ingestion.

resource "aws_cloudwatch_log_group" "jobs" {
  for_each = local.jobs

  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days (7 by default): these are operational job logs, the metrics are extracted from them at ingestion, and a year of logs is cost without a reader.
  #checkov:skip=CKV_AWS_158:Encrypted at rest by CloudWatch Logs with an AWS owned key; var.kms_cmk_enabled adds the project CMK ($1/month) for a key policy of our own. See kms.tf.
  name              = "/ecs/${var.name_prefix}${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = local.cmk_arn
}
