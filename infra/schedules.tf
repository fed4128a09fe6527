# EventBridge Scheduler schedules (default group), one per job of local.jobs with a schedule
# (jobs.tf), named <prefix><job> so that `manage.py ecs schedules ...` finds them. Created
# DISABLED unless the job's `enabled` (var.schedules_enabled, var.train_stance_schedule_enabled).
# Each runs its task on FARGATE_SPOT, retries a failed RunTask, gives up after a maximum
# event age, and then sends the event to its own encrypted SQS dead-letter queue. Schedules
# are encrypted with an AWS owned key, or the project CMK when var.kms_cmk_enabled.

resource "aws_sqs_queue" "dlq" {
  for_each = local.scheduled_jobs

  name                      = "${var.name_prefix}${each.key}-dlq"
  message_retention_seconds = 1209600 # 14 days, the SQS maximum: time to read why a run never started
  sqs_managed_sse_enabled   = true
}

resource "aws_scheduler_schedule" "jobs" {
  for_each = local.scheduled_jobs

  name                         = "${var.name_prefix}${each.key}"
  group_name                   = "default"
  description                  = "Market Pulse: ${join(" ", each.value.command)}"
  schedule_expression          = each.value.schedule
  schedule_expression_timezone = "UTC"
  state                        = each.value.enabled ? "ENABLED" : "DISABLED"
  kms_key_arn                  = local.cmk_arn

  flexible_time_window {
    mode                      = each.value.flexible_minutes > 0 ? "FLEXIBLE" : "OFF"
    maximum_window_in_minutes = each.value.flexible_minutes > 0 ? each.value.flexible_minutes : null
  }

  target {
    arn      = aws_ecs_cluster.this.arn
    role_arn = aws_iam_role.scheduler[each.key].arn

    ecs_parameters {
      task_definition_arn     = aws_ecs_task_definition.jobs[each.key].arn
      task_count              = 1
      enable_ecs_managed_tags = true
      propagate_tags          = "TASK_DEFINITION"

      capacity_provider_strategy {
        capacity_provider = "FARGATE_SPOT"
        weight            = 1
      }

      network_configuration {
        subnets          = local.task_network.subnets
        security_groups  = local.task_network.security_groups
        assign_public_ip = local.task_network.assign_public_ip
      }
    }

    retry_policy {
      maximum_event_age_in_seconds = each.value.max_event_age
      maximum_retry_attempts       = var.schedule_max_retry_attempts
    }

    dead_letter_config {
      arn = aws_sqs_queue.dlq[each.key].arn
    }
  }

  depends_on = [aws_iam_role_policy.scheduler, aws_ecs_cluster_capacity_providers.this]
}
