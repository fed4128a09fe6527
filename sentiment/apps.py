from django.apps import AppConfig


class SentimentConfig(AppConfig):
    name = "sentiment"
    verbose_name = "Sentiment"
    default_auto_field = "django.db.models.BigAutoField"
