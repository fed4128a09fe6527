"""Pages at /, /t/SYMBOL/, /tickers/; the JSON API under /api/v1/ (JSON 404 for unknown API paths)."""

from django.urls import path, re_path

from articles import api, views

app_name = "articles"

api_patterns = [
    path("api/v1/tickers", api.tickers, name="api-tickers"),
    re_path(r"^api/v1/tickers/(?P<symbol>[^/]+)$", api.ticker_detail, name="api-ticker"),
    re_path(r"^api/v1/tickers/(?P<symbol>[^/]+)/articles$", api.ticker_articles, name="api-ticker-articles"),
    path("api/v1/status", api.status, name="api-status"),
    path("api/v1/openapi.json", api.openapi_document, name="api-openapi"),
    re_path(r"^api/(?P<rest>.*)$", api.not_found, name="api-not-found"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("t/<str:symbol>/", views.ticker_detail, name="ticker"),
    path("tickers/", views.ticker_list, name="ticker-list"),
    path("favicon.ico", views.favicon, name="favicon"),
    *api_patterns,
]
