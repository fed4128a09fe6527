# What the Makefile, the deploy workflow and `manage.py ecs` read.

output "ecr_repository_urls" {
  description = "ECR repository URLs by image (web, jobs): push <url>:<tag>."
  value       = { for k, r in aws_ecr_repository.this : k => r.repository_url }
}

output "cluster_name" {
  description = "ECS cluster name (ECS_CLUSTER for manage.py ecs)."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ECS cluster ARN."
  value       = aws_ecs_cluster.this.arn
}

output "name_prefix" {
  description = "Name prefix of schedules, task definition families and log groups (ECS_NAME_PREFIX for manage.py ecs)."
  value       = var.name_prefix
}

output "task_definition_arns" {
  description = "Task definition ARNs (with revision) by job."
  value       = { for k, t in aws_ecs_task_definition.jobs : k => t.arn }
}

output "task_definition_families" {
  description = "Task definition families by job."
  value       = { for k, t in aws_ecs_task_definition.jobs : k => t.family }
}

output "schedule_names" {
  description = "EventBridge Scheduler schedule names (default group) by job."
  value       = { for k, s in aws_scheduler_schedule.jobs : k => s.name }
}

output "log_group_names" {
  description = "CloudWatch log group names by job."
  value       = { for k, g in aws_cloudwatch_log_group.jobs : k => g.name }
}

output "dead_letter_queue_urls" {
  description = "SQS dead-letter queue URLs by job."
  value       = { for k, q in aws_sqs_queue.dlq : k => q.url }
}

output "secret_arns" {
  description = "ARNs of the job secrets by short name: SSM parameters or Secrets Manager secrets, per secrets_backend (values are set by manage.py setup_secrets)."
  value       = local.secret_arns
}

output "secrets_backend" {
  description = "Where the job secrets live: ssm or secretsmanager (SECRETS_BACKEND for manage.py setup_secrets)."
  value       = var.secrets_backend
}

output "kms_key_arn" {
  description = "The project's customer managed KMS key, when kms_cmk_enabled (empty otherwise: AWS managed and owned keys)."
  value       = var.kms_cmk_enabled ? aws_kms_key.this[0].arn : ""
}

output "task_security_group_id" {
  description = "Security group of the tasks (manage.py ecs run reads the network from the schedule)."
  value       = aws_security_group.tasks.id
}

output "private_subnet_ids" {
  description = "The private subnets given (the tasks run there when network_mode = \"private\")."
  value       = var.private_subnet_ids
}

output "network_mode" {
  description = "public (public IP, no NAT) or private (private subnets, NAT)."
  value       = var.network_mode
}

output "task_subnet_ids" {
  description = "Subnets the tasks run in (network_mode picks public_subnet_ids or private_subnet_ids)."
  value       = local.task_subnet_ids
}

output "alarms_topic_arn" {
  description = "SNS topic the alarms publish to."
  value       = aws_sns_topic.alarms.arn
}

output "task_execution_role_arn" {
  description = "ARN of the task execution role."
  value       = aws_iam_role.execution.arn
}

output "task_role_arn" {
  description = "ARN of the task role."
  value       = aws_iam_role.task.arn
}

output "s3_gateway_endpoint_id" {
  description = "The S3 gateway endpoint, when s3_gateway_route_table_ids was given."
  value       = length(aws_vpc_endpoint.s3) > 0 ? aws_vpc_endpoint.s3[0].id : ""
}

output "stance_model_store" {
  description = "STANCE_MODEL_STORE of the jobs: the model bucket and prefix (s3://bucket/stance)."
  value       = local.stance_model_store
}

output "models_bucket" {
  description = "The S3 bucket of the stance model store."
  value       = aws_s3_bucket.models.bucket
}

output "train_stance_task_definition_arn" {
  description = "Task definition ARN (with revision) of the train-stance job."
  value       = aws_ecs_task_definition.jobs["train-stance"].arn
}

output "train_stance_schedule_name" {
  description = "EventBridge Scheduler schedule of the weekly train-stance run (default group; DISABLED unless var.train_stance_schedule_enabled)."
  value       = aws_scheduler_schedule.jobs["train-stance"].name
}

output "job_task_role_arns" {
  description = "The task role of each scheduled job (sentiment has its own, with read access to the model store) and of train-stance."
  value       = { for k, job in local.jobs : k => job.task_role if job.schedule != null }
}

output "import_dump_task_definition" {
  description = "The import-dump task definition (family and ARN): no schedule, started by manage.py ecs run import-dump --file s3://..."
  value       = { family = aws_ecs_task_definition.jobs["import-dump"].family, arn = aws_ecs_task_definition.jobs["import-dump"].arn }
}
