# Alarms to one SNS topic (the operator's e-mail): a message in any DLQ (a scheduled run
# never started), a task that stopped with a non-zero exit or failed to start, no articles
# scraped for an hour, and a sentiment backlog that stays above a bound. The last two read
# the jobs' Embedded Metric Format metrics (namespace var.metrics_namespace, dimension Job =
# the management command).

resource "aws_sns_topic" "alarms" {
  #checkov:skip=CKV_AWS_26:Unencrypted by default: CloudWatch alarms and EventBridge cannot publish to a topic under the AWS managed aws/sns key, a CMK costs $1/month, and the messages carry job names and exit codes, no secrets. var.kms_cmk_enabled encrypts it with the project CMK.
  name              = "${var.name_prefix}alarms"
  kms_master_key_id = local.cmk_arn
}

data "aws_iam_policy_document" "alarms_topic" {
  statement {
    sid       = "AccountOwnerManagesTheTopic"
    actions   = ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe", "sns:ListSubscriptionsByTopic", "sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsOfThisAccount"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "TheTaskStoppedRules"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [for r in aws_cloudwatch_event_rule.task_stopped : r.arn]
    }
  }
}

resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.alarms_topic.json
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alarm_email == "" ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

# --- A scheduled run that never started -----------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "dlq" {
  for_each = local.scheduled_jobs

  alarm_name          = "${var.name_prefix}${each.key}-dlq"
  alarm_description   = "A scheduled ${each.key} run could not be started (RunTask kept failing); the event is in ${aws_sqs_queue.dlq[each.key].name}."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq[each.key].name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

# --- A task that stopped badly (EventBridge: ECS Task State Change) -------------------------

locals {
  task_stopped_rules = {
    # An essential container exited with a code other than 0 (CommandError's returncode,
    # daily_status's 1 for stale data, 137 for an out-of-memory kill, ...).
    nonzero-exit = {
      description = "A Market Pulse job stopped with a non-zero exit code"
      detail = {
        clusterArn = [aws_ecs_cluster.this.arn]
        lastStatus = ["STOPPED"]
        containers = { exitCode = [{ "anything-but" = [0] }] }
      }
    }
    # It never ran: image pull, secrets or network failure (no exit code at all).
    failed-to-start = {
      description = "A Market Pulse job failed to start"
      detail = {
        clusterArn = [aws_ecs_cluster.this.arn]
        lastStatus = ["STOPPED"]
        stopCode   = ["TaskFailedToStart"]
      }
    }
  }
}

resource "aws_cloudwatch_event_rule" "task_stopped" {
  for_each = local.task_stopped_rules

  name        = "${var.name_prefix}task-${each.key}"
  description = each.value.description
  event_pattern = jsonencode({
    source        = ["aws.ecs"]
    "detail-type" = ["ECS Task State Change"]
    detail        = each.value.detail
  })
}

resource "aws_cloudwatch_event_target" "task_stopped" {
  for_each = local.task_stopped_rules

  rule      = aws_cloudwatch_event_rule.task_stopped[each.key].name
  target_id = "sns"
  arn       = aws_sns_topic.alarms.arn

  input_transformer {
    input_paths = {
      group      = "$.detail.group"
      stopCode   = "$.detail.stopCode"
      reason     = "$.detail.stoppedReason"
      exitCode   = "$.detail.containers[0].exitCode"
      taskArn    = "$.detail.taskArn"
      stoppedAt  = "$.detail.stoppedAt"
      definition = "$.detail.taskDefinitionArn"
    }
    input_template = "\"Market Pulse job <group> stopped at <stoppedAt>: exit code <exitCode>, <stopCode>: <reason>. Task <taskArn> (<definition>). Logs: manage.py ecs logs JOB --since 1h; tasks: manage.py ecs tasks.\""
  }
}

# --- The jobs' own metrics (Embedded Metric Format) -----------------------------------------

resource "aws_cloudwatch_metric_alarm" "no_articles_scraped" {
  alarm_name          = "${var.name_prefix}no-articles-scraped"
  alarm_description   = "scrape_reddit stored no new article for an hour (missing data counts: the scraper not running at all is the same problem). Expected while the schedules are still disabled during the cutover."
  namespace           = var.metrics_namespace
  metric_name         = "ArticlesScraped"
  dimensions          = { Job = local.jobs["scraper"].metric_job }
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "items_rejected" {
  alarm_name          = "${var.name_prefix}items-rejected"
  alarm_description   = "scrape_reddit refused more than ${var.items_rejected_alarm_threshold} Reddit items at the edge in an hour (daily_status and the JobRun counters say why, by reason): Reddit's data changed shape, or our validation is wrong."
  namespace           = var.metrics_namespace
  metric_name         = "ItemsRejected"
  dimensions          = { Job = local.jobs["scraper"].metric_job }
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.items_rejected_alarm_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "score_backlog" {
  alarm_name          = "${var.name_prefix}score-backlog"
  alarm_description   = "analyze_sentiment left more than ${var.score_backlog_alarm_threshold} articles unscored in every run for 30 minutes: the sentiment task is too small or failing."
  namespace           = var.metrics_namespace
  metric_name         = "ScoreBacklog"
  dimensions          = { Job = local.jobs["sentiment"].metric_job }
  statistic           = "Minimum"
  period              = 900
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.score_backlog_alarm_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}
