# Learning from reviewers (issue 12): the stance model store and the roles that use it.
#
# - an S3 bucket for the model store (STANCE_MODEL_STORE=s3://<bucket>/stance): versioned,
#   encrypted (SSE-S3, or the project CMK when var.kms_cmk_enabled), no public access, TLS
#   only, old object versions expired;
# - the train-stance job's task role: list/get/put under the stance/ prefix, nothing else;
# - the sentiment job's task role: list/get under the prefix, read only, so
#   analyze_sentiment can load the promoted model.
# The weekly train-stance job itself (task definition, log group, schedule DISABLED by
# default, DLQ and its alarm) is one entry of local.jobs (jobs.tf).

locals {
  stance_model_prefix = "stance"
  stance_model_store  = "s3://${aws_s3_bucket.models.bucket}/${local.stance_model_prefix}"
}

# --- The model store ------------------------------------------------------------------------------

resource "aws_s3_bucket" "models" {
  #checkov:skip=CKV_AWS_18:Access logging would need a second bucket for a few small objects written weekly by one task; CloudTrail records who reads and writes them.
  #checkov:skip=CKV_AWS_144:Cross-region replication doubles the cost of model files that train_stance can rebuild from the labelled data in the database.
  #checkov:skip=CKV2_AWS_62:No consumer of event notifications: the jobs read the PROMOTED pointer when they start.
  #checkov:skip=CKV_AWS_145:SSE-S3 (AES-256, S3 managed keys) by default, no monthly fee; var.kms_cmk_enabled switches to the project CMK ($1/month). The bucket holds trained model weights, no secrets. See kms.tf.
  bucket        = "${var.name_prefix}models-${local.account_id}"
  force_destroy = var.models_bucket_force_destroy
}

resource "aws_s3_bucket_ownership_controls" "models" {
  bucket = aws_s3_bucket.models.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "models" {
  bucket = aws_s3_bucket.models.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "models" {
  bucket = aws_s3_bucket.models.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_cmk_enabled ? "aws:kms" : "AES256"
      kms_master_key_id = local.cmk_arn
    }
    bucket_key_enabled = var.kms_cmk_enabled
  }
}

resource "aws_s3_bucket_public_access_block" "models" {
  bucket                  = aws_s3_bucket.models.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "models" {
  bucket = aws_s3_bucket.models.id

  rule {
    # Overwritten objects (every earlier PROMOTED pointer) are kept a while for a look back,
    # then expire. Model versions themselves are never overwritten, so they stay.
    id     = "expire-old-object-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.models_noncurrent_version_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.models]
}

data "aws_iam_policy_document" "models_bucket" {
  statement {
    sid       = "TlsOnly"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.models.arn, "${aws_s3_bucket.models.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "models" {
  bucket = aws_s3_bucket.models.id
  policy = data.aws_iam_policy_document.models_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.models]
}

# --- Task roles: train-stance writes the store, sentiment reads it --------------------------------

resource "aws_iam_role" "train_stance_task" {
  name               = "${var.name_prefix}task-train-stance"
  description        = "Market Pulse: the train-stance task (reads and writes the stance model store)"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
}

data "aws_iam_policy_document" "train_stance_task" {
  statement {
    sid       = "ListTheStancePrefix"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.models.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.stance_model_prefix}/*"]
    }
  }

  statement {
    sid       = "ReadAndWriteTheStanceModels"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${aws_s3_bucket.models.arn}/${local.stance_model_prefix}/*"]
  }

  dynamic "statement" {
    for_each = var.kms_cmk_enabled ? [1] : []
    content {
      sid       = "UseTheProjectKeyThroughS3Only"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [local.cmk_arn]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "train_stance_task" {
  name   = "stance-model-store-read-write"
  role   = aws_iam_role.train_stance_task.id
  policy = data.aws_iam_policy_document.train_stance_task.json
}

resource "aws_iam_role" "sentiment_task" {
  name               = "${var.name_prefix}task-sentiment"
  description        = "Market Pulse: the sentiment task (reads the promoted stance model, nothing else)"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
}

data "aws_iam_policy_document" "sentiment_task" {
  statement {
    sid       = "ListTheStancePrefix"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.models.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.stance_model_prefix}/*"]
    }
  }

  statement {
    sid       = "ReadTheStanceModels"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.models.arn}/${local.stance_model_prefix}/*"]
  }

  dynamic "statement" {
    for_each = var.kms_cmk_enabled ? [1] : []
    content {
      sid       = "DecryptThroughS3Only"
      actions   = ["kms:Decrypt"]
      resources = [local.cmk_arn]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "sentiment_task" {
  name   = "stance-model-store-read"
  role   = aws_iam_role.sentiment_task.id
  policy = data.aws_iam_policy_document.sentiment_task.json
}
