# Terraform and provider constraints, the provider, and the remote state backend.
#
# Kept valid for Terraform 1.0.3 (the binary the PyPI wrapper ships) as well as current
# releases: no optional() object attributes, no check/import/removed/moved blocks, no
# nullable, no pre/postconditions, no startswith/endswith.

terraform {
  required_version = ">= 1.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }

  # Partial configuration: bucket, key, region and the DynamoDB lock table come from
  # `terraform init -backend-config=backend.hcl` (see backend.hcl.example and README.md).
  backend "s3" {}
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge(var.tags, {
      Project   = "market-pulse"
      ManagedBy = "terraform"
    })
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = var.aws_region

  # "market-pulse-" -> "market-pulse": the cluster name and the Secrets Manager folder.
  base_name = trimsuffix(var.name_prefix, "-")

  # The three scheduled jobs. The jobs image's ENTRYPOINT is `python manage.py`, so a
  # command is just the management command and its arguments.
  jobs = {
    scraper = {
      command          = ["scrape_reddit", "--mode", "incremental"]
      metric_job       = "scrape_reddit"
      size             = var.scraper_task_size
      schedule         = var.scraper_schedule
      flexible_minutes = var.scraper_flexible_window_minutes
      max_event_age    = var.scraper_max_event_age_seconds
      secrets          = ["django-secret-key", "database-url", "reddit-client-id", "reddit-client-secret"]
    }
    sentiment = {
      command          = ["analyze_sentiment", "--source", "reddit"]
      metric_job       = "analyze_sentiment"
      size             = var.sentiment_task_size
      schedule         = var.sentiment_schedule
      flexible_minutes = var.sentiment_flexible_window_minutes
      max_event_age    = var.sentiment_max_event_age_seconds
      secrets          = ["django-secret-key", "database-url"]
    }
    status = {
      command          = ["daily_status"]
      metric_job       = "daily_status"
      size             = var.status_task_size
      schedule         = var.status_schedule
      flexible_minutes = var.status_flexible_window_minutes
      max_event_age    = var.status_max_event_age_seconds
      secrets          = ["django-secret-key", "database-url"]
    }
  }
}
