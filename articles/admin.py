from django.contrib import admin

from articles.models import Article, Mention, Ticker


@admin.register(Ticker)
class TickerAdmin(admin.ModelAdmin):
    list_display = ["symbol", "name", "exchange", "is_etf", "is_active"]
    search_fields = ["symbol", "name"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["reddit_id", "kind", "subreddit", "sentiment_label", "reviewed_label", "created_utc"]
    list_filter = ["kind", "subreddit", "sentiment_label"]
    search_fields = ["reddit_id", "title", "body", "author"]


@admin.register(Mention)
class MentionAdmin(admin.ModelAdmin):
    list_display = ["article", "ticker", "matched_text"]
    list_select_related = ["article", "ticker"]
