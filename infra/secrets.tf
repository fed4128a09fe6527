# The Secrets Manager secrets the tasks read, as empty containers: `manage.py setup_secrets`
# puts their values (plain strings) and Terraform never sees or stores them.

locals {
  # short name -> the environment variable it becomes in the container
  secrets = {
    "django-secret-key"    = "DJANGO_SECRET_KEY"
    "database-url"         = "DATABASE_URL"
    "reddit-client-id"     = "REDDIT_CLIENT_ID"
    "reddit-client-secret" = "REDDIT_CLIENT_SECRET" #checkov:skip=CKV_SECRET_6:An environment variable name (REDDIT_CLIENT_SECRET), not a secret value.
  }
}

resource "aws_secretsmanager_secret" "this" {
  for_each = local.secrets

  #checkov:skip=CKV2_AWS_57:No automatic rotation: these are a Django key, a database URL and Reddit app credentials that no rotation Lambda can reissue; the operator rotates them with manage.py setup_secrets.
  name                    = "${local.base_name}/${each.key}"
  description             = "Market Pulse: ${each.value} for the ECS jobs (value set by manage.py setup_secrets)"
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = var.secret_recovery_window_days
}
