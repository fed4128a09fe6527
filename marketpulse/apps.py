from django.apps import AppConfig


class MarketPulseConfig(AppConfig):
    """The project package is also an app: it owns JobRun and the shared commands."""

    name = "marketpulse"
    verbose_name = "Operations"
    default_auto_field = "django.db.models.BigAutoField"
