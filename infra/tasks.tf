# One Fargate task definition per job of local.jobs (jobs.tf), all on the jobs image (ENTRYPOINT python manage.py).
# Each container: its own CPU/memory, non-root user, read-only root filesystem with a
# writable /tmp scratch volume, stopTimeout 120 (the Fargate maximum; a Spot interruption
# gives two minutes' warning and the jobs stop cleanly on SIGTERM), an init process that
# forwards signals, secrets by ARN (SSM parameters or Secrets Manager secrets,
# var.secrets_backend), and awslogs to the job's own log group.

locals {
  job_image = "${aws_ecr_repository.this["jobs"].repository_url}:${var.image_tag}"

  # Fixed settings win over var.job_environment. With a read-only root filesystem every
  # cache a library might write (Hugging Face, torch, XDG) points into the /tmp volume; the
  # model itself is read from the image (SENTIMENT_MODEL=/opt/models/finbert, baked in).
  job_environment = merge(var.job_environment, {
    DJANGO_DEBUG      = "false"
    LOG_FORMAT        = "json"
    HF_HUB_OFFLINE    = "1"
    HF_HOME           = "/tmp/hf-home"
    XDG_CACHE_HOME    = "/tmp/cache"
    METRICS_NAMESPACE = var.metrics_namespace
    # The CloudWatch EMF line is printed whatever stdout is (the alarms read it).
    METRICS_EMF = "true"
    TMPDIR      = "/tmp"
    # int8 unless download_model measured < 99 % agreement with fp32 for the baked model
    # (then the job uses fp32 by itself): the faster run is the cheaper one (`make cost`).
    SENTIMENT_QUANTIZE = var.sentiment_quantize ? "true" : "false"
    # The stance model store (training.tf): train-stance writes it, sentiment reads the promoted model.
    STANCE_MODEL_STORE = local.stance_model_store
  })

  # What every job container has in common: each adds its name, command, size, secrets
  # and log group. jsonencode writes the keys sorted, so a merge renders the same
  # JSON as the keys written out.
  job_container = {
    image                  = local.job_image
    essential              = true
    user                   = var.container_user
    readonlyRootFilesystem = true
    # SIGTERM (a Spot interruption) stops every job cleanly within the Fargate maximum.
    stopTimeout     = 120
    linuxParameters = { initProcessEnabled = true }
    mountPoints     = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    environment     = [for k in sort(keys(local.job_environment)) : { name = k, value = local.job_environment[k] }]
  }
  job_log_options = { awslogs-region = local.region, awslogs-stream-prefix = "ecs" }
}

resource "aws_ecs_task_definition" "jobs" {
  for_each = local.jobs

  family                   = "${var.name_prefix}${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(each.value.size.cpu)
  memory                   = tostring(each.value.size.memory)
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = each.value.task_role

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  # Fargate task storage (ephemeral), mounted at /tmp: the only writable path.
  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([merge(local.job_container, {
    name    = each.key
    command = each.value.command
    cpu     = each.value.size.cpu
    memory  = each.value.size.memory
    secrets = [for s in each.value.secrets : { name = local.secrets[s], valueFrom = local.secret_arns[s] }]
    logConfiguration = {
      logDriver = "awslogs"
      options   = merge(local.job_log_options, { awslogs-group = aws_cloudwatch_log_group.jobs[each.key].name })
    }
  })])
}
