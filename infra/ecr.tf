# ECR repositories for the two images (Dockerfile.web, Dockerfile.jobs): scanned on push,
# encrypted at rest (AES-256 with an AWS owned key, or the project CMK when
# var.kms_cmk_enabled), and a lifecycle policy that keeps the last var.ecr_keep_images.

locals {
  repositories = {
    web  = "${var.name_prefix}web"
    jobs = "${var.name_prefix}jobs"
  }
}

resource "aws_ecr_repository" "this" {
  for_each = local.repositories

  #checkov:skip=CKV_AWS_136:Encrypted at rest with AES-256 (AWS owned key) by default; var.kms_cmk_enabled switches to the project CMK ($1/month). The images hold code and public model weights, no secrets.
  name                 = each.value
  image_tag_mutability = var.ecr_image_tag_mutability

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = var.kms_cmk_enabled ? "KMS" : "AES256"
    kms_key         = local.cmk_arn
  }
}

resource "aws_ecr_lifecycle_policy" "this" {
  for_each = aws_ecr_repository.this

  repository = each.value.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last ${var.ecr_keep_images} images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = var.ecr_keep_images
      }
      action = { type = "expire" }
    }]
  })
}
