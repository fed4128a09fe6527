"""Pages at /, /t/SYMBOL/, /tickers/; Atom feeds of surges; the JSON API under /api/v1/ (JSON 404 for unknown API paths)."""

from django.urls import path, re_path
from django.views.decorators.http import require_safe

from articles import api, feeds, views

app_name = "articles"

api_patterns = [
    *api.urlpatterns("api/v1/"),
    re_path(r"^api/(?P<rest>.*)$", api.read_only(api.not_found), name="api-not-found"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("t/<str:symbol>/", views.ticker_detail, name="ticker"),
    path("t/<str:symbol>/surges.atom", require_safe(feeds.SurgesFeed()), name="ticker-surges-feed"),
    path("feeds/surges.atom", require_safe(feeds.SurgesFeed()), name="surges-feed"),
    path("tickers/", views.ticker_list, name="ticker-list"),
    path("favicon.ico", views.favicon, name="favicon"),
    *api_patterns,
]
