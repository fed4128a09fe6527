# Every job, in one map: one task definition and one log group each (tasks.tf, logs.tf), and
# for each job with a schedule its scheduler role, dead-letter queue, DLQ alarm and schedule
# (iam.tf, schedules.tf, alarms.tf). `manage.py ecs` knows the same names (ops.aws.JOBS;
# tests/infra/test_contracts.py holds them equal). The jobs image's ENTRYPOINT is
# `python manage.py`, so a command is just the management command and its arguments.
#
# Per job: command; metric_job (the EMF line's Job dimension); size (CPU units and MiB);
# secrets (short names, secrets.tf); task_role (the role the job's code runs as);
# log_policy (null: the execution role's shared policy writes its log group; a name: an
# inline policy of its own, kept from before the fold); schedule (null: no schedule,
# `manage.py ecs run` only); enabled; flexible_minutes; max_event_age (seconds).

locals {
  jobs = {
    scraper = {
      command          = ["scrape_reddit", "--mode", "incremental"]
      metric_job       = "scrape_reddit"
      size             = var.scraper_task_size
      secrets          = ["django-secret-key", "database-url", "reddit-client-id", "reddit-client-secret"]
      task_role        = aws_iam_role.task.arn
      log_policy       = null
      schedule         = var.scraper_schedule
      enabled          = var.schedules_enabled
      flexible_minutes = var.scraper_flexible_window_minutes
      max_event_age    = var.scraper_max_event_age_seconds
    }
    # Scores the backlog, then judges surges and posts their alerts (detect_surges): folded
    # in here, not a schedule of its own, because a third 15-minute task would bill its
    # 60 s minimum and an image pull each run for a few seconds of work (`make cost`).
    sentiment = {
      command    = ["run_pipeline", "--skip", "scrape_reddit"]
      metric_job = "analyze_sentiment"
      size       = var.sentiment_task_size
      secrets    = concat(["django-secret-key", "database-url"], var.alert_webhooks_enabled ? keys(local.alert_secrets) : [])
      # Its own role: reads the promoted stance model (training.tf).
      task_role        = aws_iam_role.sentiment_task.arn
      log_policy       = null
      schedule         = var.sentiment_schedule
      enabled          = var.schedules_enabled
      flexible_minutes = var.sentiment_flexible_window_minutes
      max_event_age    = var.sentiment_max_event_age_seconds
    }
    status = {
      command          = ["daily_status"]
      metric_job       = "daily_status"
      size             = var.status_task_size
      secrets          = ["django-secret-key", "database-url"]
      task_role        = aws_iam_role.task.arn
      log_policy       = null
      schedule         = var.status_schedule
      enabled          = var.schedules_enabled
      flexible_minutes = var.status_flexible_window_minutes
      max_event_age    = var.status_max_event_age_seconds
    }
    # Weekly, DISABLED by default; a refused promotion exits 0 (training.tf).
    train-stance = {
      command          = ["train_stance", "--promote"]
      metric_job       = "train_stance"
      size             = var.train_stance_task_size
      secrets          = ["django-secret-key", "database-url"]
      task_role        = aws_iam_role.train_stance_task.arn
      log_policy       = "logs-train-stance"
      schedule         = var.train_stance_schedule
      enabled          = var.train_stance_schedule_enabled
      flexible_minutes = 60
      max_event_age    = 3600
    }
    # No schedule: one task per dump file, `manage.py ecs run import-dump --file s3://...`
    # overrides the command with `import_dump FILE` (import_dump.tf).
    import-dump = {
      command          = ["import_dump", "--help"]
      metric_job       = "import_dump"
      size             = var.import_dump_task_size
      secrets          = ["django-secret-key", "database-url"]
      task_role        = aws_iam_role.import_dump_task.arn
      log_policy       = "import-dump-logs"
      schedule         = null
      enabled          = false
      flexible_minutes = 0
      max_event_age    = 0
    }
  }

  scheduled_jobs = { for name, job in local.jobs : name => job if job.schedule != null }
}

# The jobs written out on their own before they were folded into local.jobs: the same
# resources under their new addresses, so `terraform plan` moves them and changes nothing.

moved {
  from = aws_ecs_task_definition.train_stance
  to   = aws_ecs_task_definition.jobs["train-stance"]
}

moved {
  from = aws_ecs_task_definition.import_dump
  to   = aws_ecs_task_definition.jobs["import-dump"]
}

moved {
  from = aws_cloudwatch_log_group.train_stance
  to   = aws_cloudwatch_log_group.jobs["train-stance"]
}

moved {
  from = aws_cloudwatch_log_group.import_dump
  to   = aws_cloudwatch_log_group.jobs["import-dump"]
}

moved {
  from = aws_iam_role_policy.execution_train_stance
  to   = aws_iam_role_policy.execution_logs["train-stance"]
}

moved {
  from = aws_iam_role_policy.execution_import_dump
  to   = aws_iam_role_policy.execution_logs["import-dump"]
}

moved {
  from = aws_sqs_queue.train_stance_dlq
  to   = aws_sqs_queue.dlq["train-stance"]
}

moved {
  from = aws_iam_role.scheduler_train_stance
  to   = aws_iam_role.scheduler["train-stance"]
}

moved {
  from = aws_iam_role_policy.scheduler_train_stance
  to   = aws_iam_role_policy.scheduler["train-stance"]
}

moved {
  from = aws_scheduler_schedule.train_stance
  to   = aws_scheduler_schedule.jobs["train-stance"]
}

moved {
  from = aws_cloudwatch_metric_alarm.train_stance_dlq
  to   = aws_cloudwatch_metric_alarm.dlq["train-stance"]
}
