# The job secrets, as empty containers: `manage.py setup_secrets` puts their values
# (plain strings) and Terraform never sees them. Four always; the two alert secrets (the
# webhook URLs and the signing key, read by the sentiment job's detect_surges step) only with
# alert_webhooks_enabled = true, so no placeholder value ever reaches the alerts.
#
# var.secrets_backend picks where (issue 16; `make cost` shows both):
# - ssm (default): SSM Parameter Store SecureString parameters /<base_name>/<name>, standard
#   tier: no monthly fee, standard-throughput GetParameters calls are free; encrypted with
#   the AWS managed key aws/ssm (or the project CMK, var.kms_cmk_enabled). Terraform creates
#   each with a placeholder value and then ignores the value, so setup_secrets owns it.
# - secretsmanager: <base_name>/<name> secrets, $0.40 each a month plus $0.05 per 10,000
#   reads (every task start reads its secrets).
# Either way the task definitions name them by ARN (`valueFrom`) and ECS injects them as
# environment variables; the jobs themselves never call AWS.

locals {
  # short name -> the environment variable it becomes in the container
  base_secrets = {
    "django-secret-key"    = "DJANGO_SECRET_KEY"
    "database-url"         = "DATABASE_URL"
    "reddit-client-id"     = "REDDIT_CLIENT_ID"
    "reddit-client-secret" = "REDDIT_CLIENT_SECRET" #checkov:skip=CKV_SECRET_6:An environment variable name (REDDIT_CLIENT_SECRET), not a secret value.
  }
  alert_secrets = {
    "alert-webhook-urls"   = "ALERT_WEBHOOK_URLS"
    "alert-webhook-secret" = "ALERT_WEBHOOK_SECRET" #checkov:skip=CKV_SECRET_6:An environment variable name (ALERT_WEBHOOK_SECRET), not a secret value.
  }
  secrets = merge(local.base_secrets, var.alert_webhooks_enabled ? local.alert_secrets : {})

  secrets_in_ssm = var.secrets_backend == "ssm"
  # The path every parameter lives under; the execution role may read this path only.
  ssm_parameter_path = "/${local.base_name}"

  # short name -> the ARN a task definition's `valueFrom` names
  secret_arns = {
    for k, v in local.secrets : k => (local.secrets_in_ssm ? aws_ssm_parameter.this[k].arn : aws_secretsmanager_secret.this[k].arn)
  }
}

resource "aws_ssm_parameter" "this" {
  for_each = local.secrets_in_ssm ? local.secrets : {}

  #checkov:skip=CKV_AWS_337:SecureString under the AWS managed key aws/ssm by default (usable only through SSM, no monthly fee); var.kms_cmk_enabled switches to the project CMK ($1/month) when a key policy of our own is wanted. See kms.tf.
  name        = "${local.ssm_parameter_path}/${each.key}"
  description = "Market Pulse: ${each.value} for the ECS jobs (value set by manage.py setup_secrets)"
  type        = "SecureString"
  tier        = "Standard"
  key_id      = local.cmk_arn
  # A placeholder: SSM has no empty parameters. setup_secrets puts the real value, which
  # Terraform then ignores (it never reads or stores it).
  value = "unset: run manage.py setup_secrets"

  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_secretsmanager_secret" "this" {
  for_each = local.secrets_in_ssm ? {} : local.secrets

  #checkov:skip=CKV2_AWS_57:No automatic rotation: these are a Django key, a database URL and Reddit app credentials that no rotation Lambda can reissue; the operator rotates them with manage.py setup_secrets.
  #checkov:skip=CKV_AWS_149:The AWS managed key aws/secretsmanager by default (usable only through Secrets Manager, no monthly fee); var.kms_cmk_enabled switches to the project CMK ($1/month). See kms.tf.
  name                    = "${local.base_name}/${each.key}"
  description             = "Market Pulse: ${each.value} for the ECS jobs (value set by manage.py setup_secrets)"
  kms_key_id              = local.cmk_arn
  recovery_window_in_days = var.secret_recovery_window_days
}
