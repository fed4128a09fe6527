# Every input, with its type, a description and, where values are bounded, a validation.

# --- Where --------------------------------------------------------------------------------

variable "aws_region" {
  description = "AWS region for every resource (e.g. us-east-1)."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "The aws_region must look like us-east-1."
  }
}

variable "name_prefix" {
  description = "Prefix of every name: schedules, task definition families, log groups (/ecs/<prefix><job>), roles. manage.py ecs reads the same prefix (ECS_NAME_PREFIX). The cluster and the Secrets Manager folder are the prefix without its trailing dash."
  type        = string
  default     = "market-pulse-"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}-$", var.name_prefix))
    error_message = "The name_prefix must be 2-31 lowercase letters, digits or dashes, start with a letter and end with a dash (e.g. market-pulse-)."
  }
}

variable "vpc_id" {
  description = "The VPC the tasks run in (the one the PostgreSQL database is in)."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "The vpc_id must look like vpc-0123456789abcdef0."
  }
}

variable "network_mode" {
  description = "Where the tasks run. private: in private_subnet_ids, no public IP, out through the VPC's NAT gateway (Reddit needs one) and any VPC endpoints. public: in public_subnet_ids with a public IP and no NAT gateway; the security group stays egress-only, so nothing can reach the tasks. `make cost` counts the chosen mode's network cost (NAT hours and data, or the public IPv4 charge)."
  type        = string
  default     = "private"

  validation {
    condition     = contains(["public", "private"], var.network_mode)
    error_message = "The network_mode must be \"public\" or \"private\"."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets for the tasks (awsvpc), network_mode = \"private\". They need a route to the internet (NAT) for Reddit over HTTPS, and to ECR, Logs and SSM / Secrets Manager (NAT or VPC endpoints)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "The private_subnet_ids must be a list of subnet ids (subnet-...)."
  }
}

variable "public_subnet_ids" {
  description = "Public subnets (a route to an internet gateway) for the tasks, network_mode = \"public\"; each task gets a public IP."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.public_subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "The public_subnet_ids must be a list of subnet ids (subnet-...)."
  }
}

variable "postgres_security_group_id" {
  description = "Security group of the PostgreSQL database; Terraform adds one ingress rule on 5432 from the task security group."
  type        = string

  validation {
    condition     = can(regex("^sg-[0-9a-f]+$", var.postgres_security_group_id))
    error_message = "The postgres_security_group_id must look like sg-0123456789abcdef0."
  }
}

variable "s3_gateway_route_table_ids" {
  description = "Route tables of the private subnets, to attach an S3 gateway endpoint to (image layers then bypass the NAT gateway's per-GB charge). Empty: no endpoint (the VPC already has one, or you accept NAT data charges)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for r in var.s3_gateway_route_table_ids : can(regex("^rtb-[0-9a-f]+$", r))])
    error_message = "The s3_gateway_route_table_ids must be route table ids (rtb-...)."
  }
}

variable "postgres_port" {
  description = "Port of the PostgreSQL database."
  type        = number
  default     = 5432

  validation {
    condition     = var.postgres_port >= 1 && var.postgres_port <= 65535 && floor(var.postgres_port) == var.postgres_port
    error_message = "The postgres_port must be an integer between 1 and 65535."
  }
}

# --- Images -------------------------------------------------------------------------------

variable "image_tag" {
  description = "Tag of the jobs image in the jobs ECR repository the task definitions run (the deploy workflow passes the commit SHA)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))
    error_message = "The image_tag must be a valid Docker tag (letters, digits, _ . -; at most 128 characters)."
  }
}

variable "ecr_keep_images" {
  description = "How many images each ECR repository keeps (older ones are expired by the lifecycle policy)."
  type        = number
  default     = 20

  validation {
    condition     = var.ecr_keep_images >= 1 && var.ecr_keep_images <= 1000 && floor(var.ecr_keep_images) == var.ecr_keep_images
    error_message = "The ecr_keep_images must be an integer from 1 to 1000."
  }
}

variable "ecr_image_tag_mutability" {
  description = "IMMUTABLE (the default: a tag, e.g. a commit SHA, always means the same image) or MUTABLE."
  type        = string
  default     = "IMMUTABLE"

  validation {
    condition     = contains(["IMMUTABLE", "MUTABLE"], var.ecr_image_tag_mutability)
    error_message = "The ecr_image_tag_mutability must be IMMUTABLE or MUTABLE."
  }
}

# --- Tasks --------------------------------------------------------------------------------

variable "scraper_task_size" {
  description = "Fargate CPU units and memory (MiB) of the scraper task (scrape_reddit: network-bound, small)."
  type        = object({ cpu = number, memory = number })
  default     = { cpu = 256, memory = 512 }

  validation {
    condition = (
      (var.scraper_task_size.cpu == 256 && contains([512, 1024, 2048], var.scraper_task_size.memory)) ||
      (var.scraper_task_size.cpu == 512 && var.scraper_task_size.memory >= 1024 && var.scraper_task_size.memory <= 4096 && var.scraper_task_size.memory % 1024 == 0) ||
      (var.scraper_task_size.cpu == 1024 && var.scraper_task_size.memory >= 2048 && var.scraper_task_size.memory <= 8192 && var.scraper_task_size.memory % 1024 == 0) ||
      (var.scraper_task_size.cpu == 2048 && var.scraper_task_size.memory >= 4096 && var.scraper_task_size.memory <= 16384 && var.scraper_task_size.memory % 1024 == 0) ||
      (var.scraper_task_size.cpu == 4096 && var.scraper_task_size.memory >= 8192 && var.scraper_task_size.memory <= 30720 && var.scraper_task_size.memory % 1024 == 0)
    )
    error_message = "The scraper_task_size must be a valid Fargate pair: 256 CPU with 512/1024/2048 MiB; 512 with 1024-4096; 1024 with 2048-8192; 2048 with 4096-16384; 4096 with 8192-30720 (memory in steps of 1024)."
  }
}

variable "sentiment_task_size" {
  description = "Fargate CPU units and memory (MiB) of the sentiment task (analyze_sentiment: FinBERT on the CPU). Sized from BENCHMARKS.md, not the 4 GB guess: peak RSS of the whole process 860-881 MB fp32, 1,026-1,100 MB int8, so 2 GiB leaves 2.3x headroom over fp32 and fits int8; 1 vCPU is the smallest CPU Fargate pairs with 2 GiB besides 0.5, which would halve the speed for little saving (the torch job uses one thread either way)."
  type        = object({ cpu = number, memory = number })
  default     = { cpu = 1024, memory = 2048 }

  validation {
    condition = (
      (var.sentiment_task_size.cpu == 256 && contains([512, 1024, 2048], var.sentiment_task_size.memory)) ||
      (var.sentiment_task_size.cpu == 512 && var.sentiment_task_size.memory >= 1024 && var.sentiment_task_size.memory <= 4096 && var.sentiment_task_size.memory % 1024 == 0) ||
      (var.sentiment_task_size.cpu == 1024 && var.sentiment_task_size.memory >= 2048 && var.sentiment_task_size.memory <= 8192 && var.sentiment_task_size.memory % 1024 == 0) ||
      (var.sentiment_task_size.cpu == 2048 && var.sentiment_task_size.memory >= 4096 && var.sentiment_task_size.memory <= 16384 && var.sentiment_task_size.memory % 1024 == 0) ||
      (var.sentiment_task_size.cpu == 4096 && var.sentiment_task_size.memory >= 8192 && var.sentiment_task_size.memory <= 30720 && var.sentiment_task_size.memory % 1024 == 0)
    )
    error_message = "The sentiment_task_size must be a valid Fargate pair: 256 CPU with 512/1024/2048 MiB; 512 with 1024-4096; 1024 with 2048-8192; 2048 with 4096-16384; 4096 with 8192-30720 (memory in steps of 1024)."
  }
}

variable "status_task_size" {
  description = "Fargate CPU units and memory (MiB) of the daily status task (daily_status: a few queries)."
  type        = object({ cpu = number, memory = number })
  default     = { cpu = 256, memory = 512 }

  validation {
    condition = (
      (var.status_task_size.cpu == 256 && contains([512, 1024, 2048], var.status_task_size.memory)) ||
      (var.status_task_size.cpu == 512 && var.status_task_size.memory >= 1024 && var.status_task_size.memory <= 4096 && var.status_task_size.memory % 1024 == 0) ||
      (var.status_task_size.cpu == 1024 && var.status_task_size.memory >= 2048 && var.status_task_size.memory <= 8192 && var.status_task_size.memory % 1024 == 0) ||
      (var.status_task_size.cpu == 2048 && var.status_task_size.memory >= 4096 && var.status_task_size.memory <= 16384 && var.status_task_size.memory % 1024 == 0) ||
      (var.status_task_size.cpu == 4096 && var.status_task_size.memory >= 8192 && var.status_task_size.memory <= 30720 && var.status_task_size.memory % 1024 == 0)
    )
    error_message = "The status_task_size must be a valid Fargate pair: 256 CPU with 512/1024/2048 MiB; 512 with 1024-4096; 1024 with 2048-8192; 2048 with 4096-16384; 4096 with 8192-30720 (memory in steps of 1024)."
  }
}

variable "sentiment_quantize" {
  description = "SENTIMENT_QUANTIZE for the jobs: score with dynamic int8 quantisation (true, the default) or fp32. int8 is used only when download_model measured at least 99 % label agreement with fp32 for the baked model; otherwise the job falls back to fp32 by itself. Measured (BENCHMARKS.md, Job run times): int8 takes less CPU per batch, so it is the cheaper run."
  type        = bool
  default     = true
}

variable "container_user" {
  description = "The non-root user the containers run as (uid or uid:gid; must match the jobs image's user)."
  type        = string
  default     = "10001:10001"

  validation {
    condition     = can(regex("^[1-9][0-9]*(:[0-9]+)?$", var.container_user))
    error_message = "The container_user must be a non-zero numeric uid, optionally with :gid (root, uid 0, is not allowed)."
  }
}

variable "job_environment" {
  description = "Extra non-secret environment for every job container (e.g. REDDIT_SUBREDDITS, REDDIT_USER_AGENT, SENTIMENT_BACKEND). Secrets never go here: they come from SSM Parameter Store (or Secrets Manager, var.secrets_backend)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.job_environment : can(regex("^[A-Z_][A-Z0-9_]*$", k)) && !contains(["DJANGO_SECRET_KEY", "DATABASE_URL", "REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET", "ALERT_WEBHOOK_URLS", "ALERT_WEBHOOK_SECRET"], k)])
    error_message = "The job_environment keys must be UPPER_SNAKE_CASE and must not be one of the secrets (DJANGO_SECRET_KEY, DATABASE_URL, REDDIT_CLIENT_ID, REDDIT_CLIENT_SECRET, ALERT_WEBHOOK_URLS, ALERT_WEBHOOK_SECRET)."
  }
}

variable "log_retention_days" {
  description = "Days the jobs' CloudWatch log groups keep logs. 7 by default (issue 16): the alarms and metrics are taken at ingestion, a week covers any investigation of a failed run, and storage is billed per GB-month."
  type        = number
  default     = 7

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "The log_retention_days must be one of the values CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "enable_container_insights" {
  description = "Turn on ECS Container Insights for the cluster. Off by default (issue 16): it bills custom metrics per task and cluster dimension, and the alarms need none of them (task state changes come from EventBridge for free)."
  type        = bool
  default     = false
}

# --- Schedules ----------------------------------------------------------------------------

variable "schedules_enabled" {
  description = "Create the schedules ENABLED. Default false: they are created DISABLED for the cutover and switched on with `manage.py ecs schedules enable --all` (or set this to true once the cron is gone)."
  type        = bool
  default     = false
}

variable "scraper_schedule" {
  description = "EventBridge Scheduler expression of the scraper (rate(...) or cron(...), UTC)."
  type        = string
  default     = "rate(15 minutes)"

  validation {
    condition     = can(regex("^(rate\\((1 (minute|hour|day)|[1-9][0-9]* (minutes|hours|days))\\)|cron\\([^ ()]+( [^ ()]+){5}\\))$", var.scraper_schedule))
    error_message = "The scraper_schedule must be rate(N minutes|hours|days) (rate(1 minute|hour|day) for one) or a six-field cron(...) expression."
  }
}

variable "sentiment_schedule" {
  description = "EventBridge Scheduler expression of the sentiment job (rate(...) or cron(...), UTC)."
  type        = string
  default     = "rate(15 minutes)"

  validation {
    condition     = can(regex("^(rate\\((1 (minute|hour|day)|[1-9][0-9]* (minutes|hours|days))\\)|cron\\([^ ()]+( [^ ()]+){5}\\))$", var.sentiment_schedule))
    error_message = "The sentiment_schedule must be rate(N minutes|hours|days) (rate(1 minute|hour|day) for one) or a six-field cron(...) expression."
  }
}

variable "status_schedule" {
  description = "EventBridge Scheduler expression of the daily status report (rate(...) or cron(...), UTC)."
  type        = string
  default     = "cron(0 4 * * ? *)"

  validation {
    condition     = can(regex("^(rate\\((1 (minute|hour|day)|[1-9][0-9]* (minutes|hours|days))\\)|cron\\([^ ()]+( [^ ()]+){5}\\))$", var.status_schedule))
    error_message = "The status_schedule must be rate(N minutes|hours|days) (rate(1 minute|hour|day) for one) or a six-field cron(...) expression."
  }
}

variable "scraper_flexible_window_minutes" {
  description = "Flexible time window of the scraper schedule in minutes; 0 turns it off. Off by default: data freshness (STALE_AFTER_MINUTES) counts on the 15-minute cadence."
  type        = number
  default     = 0

  validation {
    condition     = var.scraper_flexible_window_minutes >= 0 && var.scraper_flexible_window_minutes <= 1440 && floor(var.scraper_flexible_window_minutes) == var.scraper_flexible_window_minutes
    error_message = "The scraper_flexible_window_minutes must be an integer from 0 (off) to 1440."
  }
}

variable "sentiment_flexible_window_minutes" {
  description = "Flexible time window of the sentiment schedule in minutes; 0 turns it off. 5 by default: the backlog just waits a little."
  type        = number
  default     = 5

  validation {
    condition     = var.sentiment_flexible_window_minutes >= 0 && var.sentiment_flexible_window_minutes <= 1440 && floor(var.sentiment_flexible_window_minutes) == var.sentiment_flexible_window_minutes
    error_message = "The sentiment_flexible_window_minutes must be an integer from 0 (off) to 1440."
  }
}

variable "status_flexible_window_minutes" {
  description = "Flexible time window of the daily status schedule in minutes; 0 turns it off. 30 by default: a daily report does not mind."
  type        = number
  default     = 30

  validation {
    condition     = var.status_flexible_window_minutes >= 0 && var.status_flexible_window_minutes <= 1440 && floor(var.status_flexible_window_minutes) == var.status_flexible_window_minutes
    error_message = "The status_flexible_window_minutes must be an integer from 0 (off) to 1440."
  }
}

variable "scraper_max_event_age_seconds" {
  description = "How long the scheduler keeps retrying a scraper run it could not start (after that the event goes to the DLQ); short, as the next run comes in 15 minutes."
  type        = number
  default     = 600

  validation {
    condition     = var.scraper_max_event_age_seconds >= 60 && var.scraper_max_event_age_seconds <= 86400
    error_message = "The scraper_max_event_age_seconds must be from 60 to 86400."
  }
}

variable "sentiment_max_event_age_seconds" {
  description = "How long the scheduler keeps retrying a sentiment run it could not start (after that the event goes to the DLQ)."
  type        = number
  default     = 600

  validation {
    condition     = var.sentiment_max_event_age_seconds >= 60 && var.sentiment_max_event_age_seconds <= 86400
    error_message = "The sentiment_max_event_age_seconds must be from 60 to 86400."
  }
}

variable "status_max_event_age_seconds" {
  description = "How long the scheduler keeps retrying a daily status run it could not start (after that the event goes to the DLQ)."
  type        = number
  default     = 3600

  validation {
    condition     = var.status_max_event_age_seconds >= 60 && var.status_max_event_age_seconds <= 86400
    error_message = "The status_max_event_age_seconds must be from 60 to 86400."
  }
}

variable "schedule_max_retry_attempts" {
  description = "Retries of a schedule whose RunTask call fails (e.g. Spot capacity unavailable), before the event goes to the DLQ."
  type        = number
  default     = 3

  validation {
    condition     = var.schedule_max_retry_attempts >= 0 && var.schedule_max_retry_attempts <= 185 && floor(var.schedule_max_retry_attempts) == var.schedule_max_retry_attempts
    error_message = "The schedule_max_retry_attempts must be an integer from 0 to 185."
  }
}

# --- Secrets and keys -----------------------------------------------------------------------

variable "alert_webhooks_enabled" {
  description = "Create the two alert secrets (alert-webhook-urls: ALERT_WEBHOOK_URLS, comma-separated Slack, Discord or other http(s) webhooks; alert-webhook-secret: ALERT_WEBHOOK_SECRET, the HMAC signing key) and give them to the sentiment job, whose detect_surges step posts each new surge. Put their values with manage.py setup_secrets --only alert-webhook-urls --only alert-webhook-secret. The watch list and minimum score are plain settings: job_environment = { ALERT_SYMBOLS = \"GME,TSLA\", ALERT_MIN_SCORE = \"8\", SITE_URL = \"https://...\" }."
  type        = bool
  default     = false
}

variable "secrets_backend" {
  description = "Where the job secrets live: ssm (default: SSM Parameter Store SecureString parameters /<prefix>/<name>, no monthly fee, free standard API calls) or secretsmanager (market-pulse/<name> secrets, $0.40 each a month plus $0.05 per 10,000 reads, one read per secret at every task start). manage.py setup_secrets --backend writes either."
  type        = string
  default     = "ssm"

  validation {
    condition     = contains(["ssm", "secretsmanager"], var.secrets_backend)
    error_message = "The secrets_backend must be ssm or secretsmanager."
  }
}

variable "kms_cmk_enabled" {
  description = "Create a customer managed KMS key ($1 a month plus requests) and encrypt the secrets, log groups, alarms topic, schedules and ECR repositories with it. Off by default (issue 16): AWS managed keys (aws/ssm, aws/secretsmanager) and AWS owned keys (logs, schedules, ECR, SQS) encrypt everything at no monthly fee; the alarms topic is then unencrypted (CloudWatch alarms and EventBridge cannot publish to a topic under the AWS managed aws/sns key)."
  type        = bool
  default     = false
}

variable "secret_recovery_window_days" {
  description = "Days a deleted secret can be restored (0 deletes at once; only for throw-away stacks)."
  type        = number
  default     = 7

  validation {
    condition     = var.secret_recovery_window_days == 0 || (var.secret_recovery_window_days >= 7 && var.secret_recovery_window_days <= 30)
    error_message = "The secret_recovery_window_days must be 0 or from 7 to 30."
  }
}

variable "kms_deletion_window_days" {
  description = "Days before the project's KMS key (kms_cmk_enabled) is deleted after a destroy (it can be cancelled meanwhile)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "The kms_deletion_window_days must be from 7 to 30."
  }
}

# --- Alarms -------------------------------------------------------------------------------

variable "alarm_email" {
  description = "E-mail address subscribed to the alarms topic (empty: no subscription; AWS sends a confirmation mail to click once)."
  type        = string
  default     = ""

  validation {
    condition     = var.alarm_email == "" || can(regex("^[^@ ]+@[^@ ]+\\.[^@ ]+$", var.alarm_email))
    error_message = "The alarm_email must be empty or an e-mail address."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the jobs' Embedded Metric Format lines (METRICS_NAMESPACE in the jobs)."
  type        = string
  default     = "MarketPulse"

  validation {
    condition     = can(regex("^[A-Za-z0-9_./#:-]{1,255}$", var.metrics_namespace)) && !can(regex("^AWS/", var.metrics_namespace))
    error_message = "The metrics_namespace must be 1-255 characters of letters, digits and _ . / # : - and must not start with AWS/."
  }
}

variable "items_rejected_alarm_threshold" {
  description = "Alarm when scrape_reddit refuses more than this many Reddit items at the edge in an hour (ItemsRejected)."
  type        = number
  default     = 50

  validation {
    condition     = var.items_rejected_alarm_threshold >= 0 && floor(var.items_rejected_alarm_threshold) == var.items_rejected_alarm_threshold
    error_message = "The items_rejected_alarm_threshold must be a whole number of at least 0."
  }
}

variable "score_backlog_alarm_threshold" {
  description = "Alarm when the sentiment job's ScoreBacklog (articles left unscored at the end of a run) stays above this for 30 minutes."
  type        = number
  default     = 5000

  validation {
    condition     = var.score_backlog_alarm_threshold >= 0
    error_message = "The score_backlog_alarm_threshold must be zero or more."
  }
}

variable "tags" {
  description = "Extra tags on every resource."
  type        = map(string)
  default     = {}
}

# --- Learning from reviewers (training.tf) ---------------------------------------------------

variable "train_stance_task_size" {
  description = "Fargate CPU units and memory (MiB) of the train-stance task (train_stance: scikit-learn on up to ~10,000s of examples; BENCHMARKS.md measures 10,000 in well under a minute at a few hundred MiB peak RSS)."
  type        = object({ cpu = number, memory = number })
  default     = { cpu = 1024, memory = 2048 }

  validation {
    condition = (
      (var.train_stance_task_size.cpu == 256 && contains([512, 1024, 2048], var.train_stance_task_size.memory)) ||
      (var.train_stance_task_size.cpu == 512 && var.train_stance_task_size.memory >= 1024 && var.train_stance_task_size.memory <= 4096 && var.train_stance_task_size.memory % 1024 == 0) ||
      (var.train_stance_task_size.cpu == 1024 && var.train_stance_task_size.memory >= 2048 && var.train_stance_task_size.memory <= 8192 && var.train_stance_task_size.memory % 1024 == 0) ||
      (var.train_stance_task_size.cpu == 2048 && var.train_stance_task_size.memory >= 4096 && var.train_stance_task_size.memory <= 16384 && var.train_stance_task_size.memory % 1024 == 0) ||
      (var.train_stance_task_size.cpu == 4096 && var.train_stance_task_size.memory >= 8192 && var.train_stance_task_size.memory <= 30720 && var.train_stance_task_size.memory % 1024 == 0)
    )
    error_message = "The train_stance_task_size must be a valid Fargate pair: 256 CPU with 512/1024/2048 MiB; 512 with 1024-4096; 1024 with 2048-8192; 2048 with 4096-16384; 4096 with 8192-30720 (memory in steps of 1024)."
  }
}

variable "train_stance_schedule" {
  description = "EventBridge Scheduler expression of the weekly train_stance --promote run (UTC). Default: Sundays 03:00."
  type        = string
  default     = "cron(0 3 ? * SUN *)"

  validation {
    condition     = can(regex("^(rate\\((1 (minute|hour|day)|[1-9][0-9]* (minutes|hours|days))\\)|cron\\([^ ()]+( [^ ()]+){5}\\))$", var.train_stance_schedule))
    error_message = "The train_stance_schedule must be rate(N minutes|hours|days) (rate(1 minute|hour|day) for one) or a six-field cron(...) expression."
  }
}

variable "train_stance_schedule_enabled" {
  description = "Create the train-stance schedule ENABLED. Default false: turn it on once reviewers label enough (manage.py ecs schedules enable train-stance), independently of var.schedules_enabled."
  type        = bool
  default     = false
}

variable "models_noncurrent_version_days" {
  description = "Days an overwritten object in the model bucket (an earlier PROMOTED pointer) is kept before it expires."
  type        = number
  default     = 90

  validation {
    condition     = var.models_noncurrent_version_days >= 1 && var.models_noncurrent_version_days <= 3650 && floor(var.models_noncurrent_version_days) == var.models_noncurrent_version_days
    error_message = "The models_noncurrent_version_days must be an integer from 1 to 3650."
  }
}

variable "models_bucket_force_destroy" {
  description = "Let terraform destroy empty the model bucket first (its objects are lost). Off in production; for throw-away stacks."
  type        = bool
  default     = false
}

# --- Dump import (issue 14) ------------------------------------------------------------------

variable "dump_bucket_name" {
  description = "The S3 bucket holding Reddit dump files for import_dump: its task role may read its objects (s3:GetObject) and list it. Empty: the import task gets no S3 access."
  type        = string
  default     = ""

  validation {
    condition     = var.dump_bucket_name == "" || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.dump_bucket_name))
    error_message = "The dump_bucket_name must be empty or an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens)."
  }
}

variable "import_dump_task_size" {
  description = "Fargate CPU units and memory (MiB) of the import-dump task. 1 vCPU / 4 GiB: the importer is one core, and the zstd decoder of a --long=31 file keeps up to 2 GiB of window (BENCHMARKS.md, Dump import)."
  type        = object({ cpu = number, memory = number })
  default     = { cpu = 1024, memory = 4096 }

  validation {
    condition = (
      (var.import_dump_task_size.cpu == 512 && var.import_dump_task_size.memory >= 3072 && var.import_dump_task_size.memory <= 4096 && var.import_dump_task_size.memory % 1024 == 0) ||
      (var.import_dump_task_size.cpu == 1024 && var.import_dump_task_size.memory >= 3072 && var.import_dump_task_size.memory <= 8192 && var.import_dump_task_size.memory % 1024 == 0) ||
      (var.import_dump_task_size.cpu == 2048 && var.import_dump_task_size.memory >= 4096 && var.import_dump_task_size.memory <= 16384 && var.import_dump_task_size.memory % 1024 == 0) ||
      (var.import_dump_task_size.cpu == 4096 && var.import_dump_task_size.memory >= 8192 && var.import_dump_task_size.memory <= 30720 && var.import_dump_task_size.memory % 1024 == 0)
    )
    error_message = "The import_dump_task_size must be a valid Fargate pair with at least 3 GiB (the 2 GiB zstd window plus the importer): 512 CPU with 3072-4096 MiB; 1024 with 3072-8192; 2048 with 4096-16384; 4096 with 8192-30720 (memory in steps of 1024)."
  }
}
