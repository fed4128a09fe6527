"""URL map. The web path imports no praw, torch, transformers or boto3."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from marketpulse.health import health

urlpatterns = [
    path("health", health, name="health"),
    path(settings.ADMIN_URL, admin.site.urls),
    path("", include("articles.urls")),
]
