# The ECS cluster, with FARGATE and FARGATE_SPOT; Spot is the default strategy (the
# schedules ask for it explicitly too).

resource "aws_ecs_cluster" "this" {
  #checkov:skip=CKV_AWS_65:Container Insights is var.enable_container_insights (off by default): it bills per metric for short scheduled tasks, and the jobs publish their own metrics (EMF) that the alarms use.
  name = local.base_name

  setting {
    name  = "containerInsights"
    value = var.enable_container_insights ? "enabled" : "disabled"
  }
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE_SPOT"
    weight            = 1
  }
}
