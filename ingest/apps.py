from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "ingest"
    verbose_name = "Reddit ingestion"
    default_auto_field = "django.db.models.BigAutoField"
