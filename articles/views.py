"""Public pages. (Placeholder home until the site issue lands.)"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from articles.models import Article, Ticker


def home(request: HttpRequest) -> HttpResponse:
    context = {"articles": Article.objects.count(), "tickers": Ticker.objects.count()}
    return render(request, "articles/home.html", context)
