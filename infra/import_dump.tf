# import-dump (issue 14): history from Reddit's monthly dump files, one Fargate task per file,
# started by `manage.py ecs run import-dump --file s3://BUCKET/RC_YYYY-MM.zst`. No schedule.
#
# Sized for real monthly dumps (var.import_dump_task_size, 1 vCPU / 4 GiB): the files are
# zstd with --long=31, and the decoder keeps up to that 2 GiB window of decompressed output
# as history (BENCHMARKS.md, "Dump import": 1,074 MiB at 1 M comments, flat at ~2.1 GiB once
# the output passes 2 GiB); the importer itself stays under 300 MB. 4 GiB leaves ~1.5 GiB
# headroom; 3 GiB would be too tight for a full month. The work is one Python process on
# one core (decompress, parse, validate, link; PostgreSQL does the merge), so more vCPUs
# would sit idle: run more files at once instead.
#
# Its own task role: read-only access to the one dump bucket (var.dump_bucket_name), and
# nothing when that is empty. The scheduled jobs keep their role with no permissions.

resource "aws_cloudwatch_log_group" "import_dump" {
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days (7 by default), as for the scheduled jobs: operational logs, metrics extracted at ingestion.
  #checkov:skip=CKV_AWS_158:Encrypted at rest by CloudWatch Logs with an AWS owned key; var.kms_cmk_enabled adds the project CMK ($1/month), like logs.tf. See kms.tf.
  name              = "/ecs/${var.name_prefix}import-dump"
  retention_in_days = var.log_retention_days
  kms_key_id        = local.cmk_arn
}

data "aws_iam_policy_document" "execution_import_dump" {
  statement {
    sid       = "WriteTheImportDumpLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.import_dump.arn}:log-stream:*"]
  }
}

resource "aws_iam_role_policy" "execution_import_dump" {
  name   = "import-dump-logs"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution_import_dump.json
}

resource "aws_iam_role" "import_dump_task" {
  name               = "${var.name_prefix}import-dump-task"
  description        = "Market Pulse: import_dump tasks (read the dump bucket, nothing else)"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
}

data "aws_iam_policy_document" "import_dump_read_bucket" {
  count = var.dump_bucket_name == "" ? 0 : 1

  statement {
    sid       = "ReadTheDumpFiles"
    actions   = ["s3:GetObject"]
    resources = ["arn:${local.partition}:s3:::${var.dump_bucket_name}/*"]
  }

  statement {
    # HeadObject on a missing key answers 404 (not 403) only with ListBucket: clear errors.
    sid       = "ListTheDumpBucket"
    actions   = ["s3:ListBucket"]
    resources = ["arn:${local.partition}:s3:::${var.dump_bucket_name}"]
  }
}

resource "aws_iam_role_policy" "import_dump_read_bucket" {
  count = var.dump_bucket_name == "" ? 0 : 1

  name   = "read-dump-bucket"
  role   = aws_iam_role.import_dump_task.id
  policy = data.aws_iam_policy_document.import_dump_read_bucket[0].json
}

resource "aws_ecs_task_definition" "import_dump" {
  family                   = "${var.name_prefix}import-dump"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.import_dump_task_size.cpu)
  memory                   = tostring(var.import_dump_task_size.memory)
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.import_dump_task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([merge(local.job_container, {
    name = "import-dump"
    # `manage.py ecs run import-dump --file s3://...` overrides this with `import_dump FILE`.
    # SIGTERM (Spot interruption) commits the current batch and exits 143; a rerun resumes.
    command = ["import_dump", "--help"]
    cpu     = var.import_dump_task_size.cpu
    memory  = var.import_dump_task_size.memory
    secrets = [for s in ["django-secret-key", "database-url"] : { name = local.secrets[s], valueFrom = local.secret_arns[s] }]
    logConfiguration = {
      logDriver = "awslogs"
      options   = merge(local.job_log_options, { awslogs-group = aws_cloudwatch_log_group.import_dump.name })
    }
  })])
}
