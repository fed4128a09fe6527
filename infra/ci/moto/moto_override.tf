# TEST ONLY. Never part of the production configuration: the infra tests (tests/infra,
# `make infra-check`) copy the production *.tf files into var/infra-moto/stack (and
# infra/bootstrap's into var/infra-moto/bootstrap) and add this file and moto_variables.tf
# beside them. Terraform merges a *_override.tf file into the blocks it names:
# - the S3 backend becomes a local one (state in the throw-away copy);
# - the provider talks to moto in server mode on 127.0.0.1 for every service the stack uses,
#   with no credential or account checks. The dummy keys come from the environment
#   (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY = "testing"), not from this file.

terraform {
  backend "local" {}
}

provider "aws" {
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  s3_use_path_style           = true

  endpoints {
    cloudwatch     = var.moto_endpoint
    dynamodb       = var.moto_endpoint
    ec2            = var.moto_endpoint
    ecr            = var.moto_endpoint
    ecs            = var.moto_endpoint
    events         = var.moto_endpoint
    iam            = var.moto_endpoint
    kms            = var.moto_endpoint
    logs           = var.moto_endpoint
    s3             = var.moto_endpoint
    scheduler      = var.moto_endpoint
    secretsmanager = var.moto_endpoint
    sns            = var.moto_endpoint
    sqs            = var.moto_endpoint
    ssm            = var.moto_endpoint
    sts            = var.moto_endpoint
  }
}
