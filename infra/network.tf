# The tasks' network (var.network_mode): private subnets behind the VPC's NAT gateway, or
# public subnets with a public IP and no NAT. Either way the security group has no ingress
# at all, egress only where the jobs go, and one rule on the existing PostgreSQL security
# group lets the tasks in on 5432.

locals {
  task_public_ip  = var.network_mode == "public"
  task_subnet_ids = local.task_public_ip ? var.public_subnet_ids : var.private_subnet_ids
  # Every schedule's awsvpc configuration (schedules.tf); `manage.py ecs run` copies it.
  task_network = {
    subnets          = local.task_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = local.task_public_ip
  }
}

resource "aws_security_group" "tasks" {
  #checkov:skip=CKV2_AWS_5:Attached to the tasks through the schedules' awsvpc network configuration (aws_scheduler_schedule.jobs), which checkov's graph does not follow.
  name        = "${var.name_prefix}tasks"
  description = "Market Pulse scheduled jobs: egress only (HTTPS, PostgreSQL)"
  vpc_id      = var.vpc_id

  tags = {
    Name = "${var.name_prefix}tasks"
  }

  lifecycle {
    precondition {
      condition     = length(local.task_subnet_ids) > 0
      error_message = "network_mode = \"${var.network_mode}\" needs ${var.network_mode}_subnet_ids: a non-empty list of subnet ids."
    }
  }
}

# HTTPS out: Reddit's API, and ECR, CloudWatch Logs and Secrets Manager (through NAT or
# VPC interface endpoints, or the internet gateway in public mode). Reddit's addresses are not fixed, hence 0.0.0.0/0 on 443 only.
resource "aws_security_group_rule" "tasks_https_out" {
  type              = "egress"
  description       = "HTTPS to Reddit and AWS APIs"
  security_group_id = aws_security_group.tasks.id
  protocol          = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_blocks       = ["0.0.0.0/0"]
}

resource "aws_security_group_rule" "tasks_postgres_out" {
  type                     = "egress"
  description              = "PostgreSQL"
  security_group_id        = aws_security_group.tasks.id
  protocol                 = "tcp"
  from_port                = var.postgres_port
  to_port                  = var.postgres_port
  source_security_group_id = var.postgres_security_group_id
}

resource "aws_security_group_rule" "postgres_from_tasks" {
  type                     = "ingress"
  description              = "Market Pulse scheduled jobs"
  security_group_id        = var.postgres_security_group_id
  protocol                 = "tcp"
  from_port                = var.postgres_port
  to_port                  = var.postgres_port
  source_security_group_id = aws_security_group.tasks.id
}

# Optional but strongly advised: an S3 gateway endpoint on the private route tables. ECR
# serves image layers from S3, and Fargate pulls the whole jobs image at every task start
# (~5,900 starts a month): through a NAT gateway that traffic is billed per GB, through a
# gateway endpoint it is free (README.md, Cost). Skip it when the VPC already has one.
resource "aws_vpc_endpoint" "s3" {
  count = length(var.s3_gateway_route_table_ids) > 0 ? 1 : 0

  vpc_id            = var.vpc_id
  service_name      = "com.amazonaws.${local.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = var.s3_gateway_route_table_ids

  tags = {
    Name = "${var.name_prefix}s3"
  }
}
