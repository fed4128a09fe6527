# import-dump (issue 14): history from Reddit's monthly dump files, one Fargate task per file,
# started by `manage.py ecs run import-dump --file s3://BUCKET/RC_YYYY-MM.zst`. No schedule.
# Its task definition and log group are local.jobs["import-dump"] (jobs.tf); here its role.
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
