# Run once per account, before the main stack: the S3 bucket that holds the Terraform state
# and the DynamoDB table that locks it. Its own (tiny) state stays local: keep
# terraform.tfstate from this directory somewhere safe, or import the two resources again
# (README.md). Then fill infra/backend.hcl from the outputs.
#
#   terraform -chdir=infra/bootstrap init
#   terraform -chdir=infra/bootstrap apply -var aws_region=us-east-1

terraform {
  required_version = ">= 1.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = {
      Project   = "market-pulse"
      ManagedBy = "terraform"
    }
  }
}

variable "aws_region" {
  description = "Region of the state bucket and lock table (use the stack's region)."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "The aws_region must look like us-east-1."
  }
}

variable "state_bucket_name" {
  description = "Name of the state bucket; empty means market-pulse-tfstate-<account id> (bucket names are global)."
  type        = string
  default     = ""

  validation {
    condition     = var.state_bucket_name == "" || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "The state_bucket_name must be empty or a valid S3 bucket name."
  }
}

variable "lock_table_name" {
  description = "Name of the DynamoDB lock table."
  type        = string
  default     = "market-pulse-tflock"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.lock_table_name))
    error_message = "The lock_table_name must be 3-255 letters, digits, _ . or -."
  }
}

data "aws_caller_identity" "current" {}

locals {
  bucket = var.state_bucket_name != "" ? var.state_bucket_name : "market-pulse-tfstate-${data.aws_caller_identity.current.account_id}"
}

resource "aws_s3_bucket" "state" {
  #checkov:skip=CKV_AWS_18:Access logging of the state bucket would need a second bucket; CloudTrail records who reads and writes the state.
  #checkov:skip=CKV_AWS_144:Cross-region replication doubles the cost of a few kilobytes that versioning already protects.
  #checkov:skip=CKV2_AWS_62:No consumer of state-bucket event notifications.
  #checkov:skip=CKV_AWS_145:SSE-S3 (AES256) is enough for the state, which holds no secret values (secrets live in Secrets Manager); a KMS key here would outlive the stack it bootstraps.
  bucket = local.bucket
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    id     = "expire-old-state-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = 90
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

resource "aws_dynamodb_table" "lock" {
  #checkov:skip=CKV_AWS_119:Lock items hold only a state path and a digest; the table uses the DynamoDB-owned encryption key at no cost.
  name         = var.lock_table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "LockID"

  attribute {
    name = "LockID"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }
}

output "backend_hcl" {
  description = "Paste into infra/backend.hcl."
  value       = <<-EOT
    bucket         = "${aws_s3_bucket.state.id}"
    key            = "market-pulse/jobs.tfstate"
    region         = "${var.aws_region}"
    dynamodb_table = "${aws_dynamodb_table.lock.name}"
    encrypt        = true
  EOT
}
