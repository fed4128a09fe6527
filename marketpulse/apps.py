from django.apps import AppConfig


class MarketPulseConfig(AppConfig):
    """The project package is also an app: it owns JobRun and the job bookkeeping."""

    name = "marketpulse"
    verbose_name = "Operations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Every job ends with one CloudWatch Embedded Metric Format line (marketpulse.metrics).
        # Both modules are light (no boto3): the metrics reach CloudWatch through the log stream.
        from marketpulse import checks  # noqa: F401 - registers the deploy checks
        from marketpulse.jobs import on_finish
        from marketpulse.metrics import metrics_emit

        on_finish(metrics_emit)
