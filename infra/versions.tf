# Terraform and provider constraints, the provider, and the remote state backend.
#
# Terraform 1.2 or later (moved blocks in jobs.tf, a precondition in network.tf); kept free
# of later features: no optional() object attributes, no check/import/removed blocks, no
# cross-variable validations.

terraform {
  required_version = ">= 1.2.0"

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

}
