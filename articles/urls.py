"""Pages at /, /t/SYMBOL/, /tickers/; the JSON API under /api/v1/ (JSON 404 for unknown API paths)."""

from django.urls import path, re_path

from articles import api, views

app_name = "articles"

api_patterns = [
    *api.urlpatterns("api/v1/"),
    re_path(r"^api/(?P<rest>.*)$", api.read_only(api.not_found), name="api-not-found"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("t/<str:symbol>/", views.ticker_detail, name="ticker"),
    path("tickers/", views.ticker_list, name="ticker-list"),
    path("favicon.ico", views.favicon, name="favicon"),
    *api_patterns,
]
