from django.apps import AppConfig


class OpsConfig(AppConfig):
    """The operator's tools over boto3 (`ecs`, `setup_secrets`) and the daily report
    (`daily_status`). No models: job bookkeeping (JobRun) stays in `marketpulse`."""

    name = "ops"
    verbose_name = "Operator tools"
    default_auto_field = "django.db.models.BigAutoField"
