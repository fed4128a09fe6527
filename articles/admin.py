"""The review admin: articles (review fields only), tickers ("never link"), mentions.

Every write goes through `articles.review` so the rollups (and so the public pages)
follow each review at once. Reddit fields and the model's output are read-only for
everyone: the form only holds `reviewed_label`, so a crafted POST carrying `body` or
`score` is ignored.

Who may do what (see the `reviewers` group migration): review actions, the queue
and unlinking a mention need `articles.change_article`; the quality page needs
`articles.view_article`; flagging tickers and unlinking their past mentions need
`articles.change_ticker` (admins, not reviewers).
"""

from __future__ import annotations

import re

from django.contrib import admin, messages
from django.db.models import Case, Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.template.defaultfilters import linebreaksbr
from django.urls import path
from django.utils.html import format_html
from django.utils.text import smart_split, unescape_string_literal

from articles import admin_views, review
from articles.admin_filters import (
    CappedCountPaginator,
    ConfidenceBandFilter,
    ReviewedFilter,
    SubredditFilter,
    TickerFilter,
)
from articles.admin_views import article_snippet, cues_text, stance_text
from articles.models import AlertDelivery, Article, Mention, SentimentLabel, StanceLabel, Surge, Ticker
from marketpulse.admin import ReadOnlyAdminMixin

REVIEW_PERMISSION = "articles.change_article"
REDDIT_ID = re.compile(r"t[13]_[0-9a-zA-Z]{1,12}")


# --- Articles ------------------------------------------------------------------------------


class MentionInline(admin.TabularInline):
    """The article's ticker mentions. Read-only; ticking "Delete" unlinks a wrong
    mention through `review.mention_unlink` (which refreshes the rollups)."""

    model = Mention
    extra = 0
    fields = ["ticker", "matched_text", "confidence", "stance_shown", "cues_shown", "stance_model"]
    readonly_fields = fields
    verbose_name = "ticker mention"
    verbose_name_plural = "ticker mentions (tick Delete to unlink a wrong one)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("ticker")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm(REVIEW_PERMISSION)

    @admin.display(description="stance")
    def stance_shown(self, obj: Mention) -> str:
        return stance_text(obj)

    @admin.display(description="cues (why)")
    def cues_shown(self, obj: Mention) -> str:
        return cues_text(obj)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("articles.view_mention") or request.user.has_perm("articles.view_article")


def _mark(label: str):
    @admin.action(permissions=["review"], description=f"Review: mark {label}")
    def action(modeladmin, request, queryset):
        n = review.review_mark(article_ids=queryset.values_list("pk", flat=True), label=label, reviewer=request.user)
        modeladmin.message_user(
            request, f"Marked {n} article(s) {label}; the ticker pages are updated.", messages.SUCCESS
        )

    action.__name__ = f"mark_{label}"
    return action


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = [
        "snippet",
        "subreddit",
        "kind",
        "ticker_list",
        "model_label",
        "reviewed_label",
        "score",
        "created_utc",
        "reddit_link",
    ]
    list_display_links = ["snippet"]

    class Media:
        css = {"all": ["admin-changelist/changelist.css"]}  # every column on screen at 1280 px

    list_filter = [
        SubredditFilter,
        "kind",
        "sentiment_label",
        ReviewedFilter,
        ConfidenceBandFilter,
        TickerFilter,
        ("created_utc", admin.DateFieldListFilter),
    ]
    search_fields = ["title", "body", "author", "=reddit_id"]  # what get_search_results searches
    search_help_text = "Searches title, body, author, and the exact Reddit id (t3_… / t1_…)."
    list_per_page = 100
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_select_related = ["reviewed_by"]
    ordering = ["-created_utc"]
    inlines = [MentionInline]
    actions = [
        _mark(SentimentLabel.POSITIVE.value),
        _mark(SentimentLabel.NEGATIVE.value),
        _mark(SentimentLabel.NEUTRAL.value),
        "clear_review",
        "requeue",
    ]
    change_list_template = "admin/articles/article/change_list.html"
    fieldsets = [
        ("Review", {"fields": ["reviewed_label", "reviewed_by", "reviewed_at"]}),
        ("Text", {"fields": ["reddit_link", "title_text", "body_text", "author_name", "is_removed"]}),
        (
            "Model output",
            {
                "fields": [
                    "sentiment_label",
                    "sentiment_confidence",
                    "sentiment_score",
                    "sentiment_model",
                    "scored_at",
                    "vader_label",
                    "vader_score",
                ]
            },
        ),
        (
            "Reddit",
            {
                "fields": [
                    "reddit_id",
                    "kind",
                    "subreddit",
                    "parent_post_id",
                    "permalink",
                    "score",
                    "num_comments",
                    "created_utc",
                    "first_seen_at",
                    "updated_at",
                ]
            },
        ),
    ]
    # Everything but the reviewed label is read-only, for everyone.
    readonly_fields = [
        "reviewed_by",
        "reviewed_at",
        "reddit_link",
        "title_text",
        "body_text",
        "author_name",
        "is_removed",
        "sentiment_label",
        "sentiment_confidence",
        "sentiment_score",
        "sentiment_model",
        "scored_at",
        "vader_label",
        "vader_score",
        "reddit_id",
        "kind",
        "subreddit",
        "parent_post_id",
        "permalink",
        "score",
        "num_comments",
        "created_utc",
        "first_seen_at",
        "updated_at",
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("tickers", queryset=Ticker.objects.only("id", "symbol").order_by("symbol")))
        )

    # Articles come from Reddit: never added or deleted by hand (the scraper would
    # bring a deleted one back on its next pass anyway).
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_review_permission(self, request):
        return request.user.has_perm(REVIEW_PERMISSION)

    def get_search_results(self, request, queryset, search_term):
        """Django's search over `search_fields` (each term, split as Django splits them, in
        title, body or author, or equal to the Reddit id), with two differences that give
        the same rows and spare the import and the scraper index entries:

        * titles are searched on posts only. A comment has no title (`item_validate` stores
          "" for every comment), and the title's trigram index leaves the comments out
          (migration 0009: about 11 us of database CPU per comment, for an empty title);
        * the id is compared in lower case (`reddit_id = lower(term)`) through the unique
          index, where Django's `=reddit_id` compares `UPPER(reddit_id)` and needed an index
          of its own (dropped by migration 0010). A stored id is a fullname as
          `item_validate` writes it, lower-case ASCII, so an ASCII term finds the same row;
          a term with other characters matches no id (PostgreSQL's UPPER would turn a
          dotless "ı" into "I"; no Reddit id is written so).
        """
        # A Reddit fullname is looked up through its unique index, not a text scan.
        term = search_term.strip()
        if REDDIT_ID.fullmatch(term):
            return queryset.filter(reddit_id=term.lower()), False
        terms = []
        for bit in smart_split(search_term):
            if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
                bit = unescape_string_literal(bit)
            match = Q(kind=Article.Kind.POST, title__icontains=bit) | Q(body__icontains=bit) | Q(author__icontains=bit)
            if bit.isascii():
                match |= Q(reddit_id=bit.lower())
            terms.append(match)
        return queryset.filter(*terms), False

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_review": self.has_review_permission(request)}
        return super().changelist_view(request, extra_context)

    # --- columns
    @admin.display(description="text")
    def snippet(self, obj: Article) -> str:
        return format_html("<bdi>{}</bdi>", article_snippet(obj))

    # User text in the change form, isolated (<bdi>): a direction control stored before
    # validation stripped them cannot reverse the page around it.
    @admin.display(description="title")
    def title_text(self, obj: Article) -> str:
        return format_html("<bdi>{}</bdi>", obj.title)

    @admin.display(description="body")
    def body_text(self, obj: Article) -> str:
        return format_html("<bdi>{}</bdi>", linebreaksbr(obj.body))

    @admin.display(description="author")
    def author_name(self, obj: Article) -> str:
        return format_html("<bdi>{}</bdi>", obj.author)

    @admin.display(description="tickers")
    def ticker_list(self, obj: Article) -> str:
        return ", ".join(t.symbol for t in obj.tickers.all())

    @admin.display(description="model", ordering="sentiment_confidence")
    def model_label(self, obj: Article) -> str:
        if not obj.sentiment_label:
            return "—"
        conf = f" {obj.sentiment_confidence:.0%}" if obj.sentiment_confidence is not None else ""
        return f"{obj.sentiment_label}{conf}"

    @admin.display(description="Reddit")
    def reddit_link(self, obj: Article) -> str:
        url = obj.reddit_url
        if not url:
            return "—"
        return format_html('<a href="{}" target="_blank" rel="noopener noreferrer nofollow">open ↗</a>', url)

    # --- saving: through the review services only
    def save_model(self, request, obj, form, change):
        if "reviewed_label" not in form.changed_data:
            return
        label = form.cleaned_data.get("reviewed_label") or ""
        if label:
            review.review_mark(article_ids=[obj.pk], label=label, reviewer=request.user)
        else:
            review.review_clear(article_ids=[obj.pk])
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        if formset.model is not Mention:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)  # collects deleted_objects, writes nothing
        removed = [m.pk for m in formset.deleted_objects]
        if removed:
            n = review.mention_unlink(mention_ids=removed)
            self.message_user(request, f"Unlinked {n} mention(s).", messages.SUCCESS)

    # --- actions
    @admin.action(permissions=["review"], description="Review: clear the review (the model's label counts again)")
    def clear_review(self, request, queryset):
        n = review.review_clear(article_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"Cleared the review of {n} article(s).", messages.SUCCESS)

    @admin.action(permissions=["review"], description="Re-queue for sentiment scoring")
    def requeue(self, request, queryset):
        n = review.review_requeue(article_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request, f"Re-queued {n} article(s); analyze_sentiment scores them on its next run.", messages.SUCCESS
        )

    # --- extra pages: the queue and the quality page
    def get_urls(self):
        view = self.admin_site.admin_view
        extra = [
            path(
                "review-queue/",
                view(admin_views.ReviewQueueView.as_view(model_admin=self)),
                name="articles_article_review_queue",
            ),
            path("quality/", view(admin_views.QualityView.as_view(model_admin=self)), name="articles_article_quality"),
        ]
        return extra + super().get_urls()


# --- Tickers ------------------------------------------------------------------------------


@admin.register(Ticker)
class TickerAdmin(admin.ModelAdmin):
    list_display = ["symbol", "name", "exchange", "is_etf", "is_active", "alias_list", "mentions_to_remove"]
    list_filter = ["is_etf", "is_active", "exchange"]
    search_fields = ["symbol", "name", "aliases"]
    search_help_text = "Searches symbol, company name and aliases."
    list_per_page = 100
    show_full_result_count = False
    actions = ["unlink_flagged"]
    fields = [
        "symbol",
        "name",
        "exchange",
        "is_etf",
        "aliases",
        "is_active",
        "linked_mentions",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["linked_mentions", "created_at", "updated_at"]

    def get_queryset(self, request):
        # Count mentions only for "never link" tickers (what the unlink action would remove);
        # the subquery is evaluated for those rows only.
        count = (
            Mention.objects.filter(ticker_id=OuterRef("pk"))
            .order_by()
            .values("ticker_id")
            .annotate(n=Count("id"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                flagged_mentions=Case(
                    When(is_active=False, then=Coalesce(Subquery(count, output_field=IntegerField()), Value(0))),
                    default=Value(None),
                    output_field=IntegerField(),
                )
            )
        )

    @admin.display(description="aliases")
    def alias_list(self, obj: Ticker) -> str:
        return ", ".join(str(a) for a in (obj.aliases or []))

    @admin.display(description="mentions the unlink would remove", ordering="flagged_mentions")
    def mentions_to_remove(self, obj: Ticker) -> str:
        return "—" if obj.flagged_mentions is None else str(obj.flagged_mentions)

    @admin.display(description="linked mentions")
    def linked_mentions(self, obj: Ticker) -> str:
        if obj.pk is None:
            return "—"
        n = Mention.objects.filter(ticker=obj).count()
        if obj.is_active:
            return f'{n} (if flagged "never link", the unlink action would remove them all)'
        return f'{n} — flagged "never link": the unlink action would remove them all'

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            self.message_user(
                request,
                f"{obj.symbol} will no longer be linked. Its past mentions stay until you run "
                '"Unlink past mentions of never-link tickers" on it.',
                messages.WARNING,
            )

    @admin.action(
        permissions=["change"], description="Unlink past mentions of never-link tickers (and rebuild their rollups)"
    )
    def unlink_flagged(self, request, queryset):
        active = list(queryset.filter(is_active=True).values_list("symbol", flat=True))
        result = review.ticker_unlink_flagged(ticker_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            f"Removed {result['mentions']} mention(s) of {result['tickers']} never-link ticker(s); rollups rebuilt.",
            messages.SUCCESS,
        )
        if active:
            self.message_user(
                request,
                f'Skipped {", ".join(active[:20])}: still linkable (untick "linkable" first).',
                messages.WARNING,
            )


# --- Mentions ------------------------------------------------------------------------------


def _stance_action(stance: str):
    @admin.action(permissions=["review_stance"], description=f"Review stance: mark {stance}")
    def action(modeladmin, request, queryset):
        n = review.stance_mark(mention_ids=queryset.values_list("pk", flat=True), stance=stance)
        modeladmin.message_user(
            request, f"Marked {n} mention(s) {stance}; the ticker pages are updated.", messages.SUCCESS
        )

    action.__name__ = f"stance_{stance}"
    return action


@admin.register(Mention)
class MentionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "ticker",
        "article_text",
        "stance_shown",
        "cues_shown",
        "stance_model",
        "matched_text",
        "confidence",
        "created_utc",
    ]
    list_filter = ["stance", "reviewed_stance"]
    list_select_related = ["article", "ticker"]
    search_fields = ["=ticker__symbol", "=article__reddit_id", "matched_text"]
    search_help_text = "Exact ticker symbol or Reddit id, or the matched text."
    list_per_page = 100
    show_full_result_count = False
    paginator = CappedCountPaginator
    actions = [
        _stance_action(StanceLabel.BULLISH.value),
        _stance_action(StanceLabel.BEARISH.value),
        _stance_action(StanceLabel.NEUTRAL.value),
        "clear_stance_review",
        "unlink",
    ]
    readonly_fields = [
        "article",
        "ticker",
        "matched_text",
        "confidence",
        "created_utc",
        "stance",
        "stance_score",
        "stance_model",
        "cues_shown",
        "reviewed_stance",
        "stance_reviewed_at",
    ]
    fields = readonly_fields

    # Mentions are the scraper's and the scorer's (ReadOnlyAdminMixin); reviewers set the
    # reviewed stance and unlink wrong ones (through the services).
    def has_unlink_permission(self, request):
        return request.user.has_perm(REVIEW_PERMISSION)

    def has_review_stance_permission(self, request):
        return request.user.has_perm(REVIEW_PERMISSION)

    @admin.display(description="article")
    def article_text(self, obj: Mention) -> str:
        return article_snippet(obj.article, 80)

    @admin.display(description="stance", ordering="stance_score")
    def stance_shown(self, obj: Mention) -> str:
        return stance_text(obj)

    @admin.display(description="cues (why)")
    def cues_shown(self, obj: Mention) -> str:
        return cues_text(obj)

    @admin.action(permissions=["review_stance"], description="Review stance: clear (the model's stance counts again)")
    def clear_stance_review(self, request, queryset):
        n = review.stance_clear(mention_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"Cleared the stance review of {n} mention(s).", messages.SUCCESS)

    @admin.action(permissions=["unlink"], description="Unlink the selected mentions (wrong ticker)")
    def unlink(self, request, queryset):
        n = review.mention_unlink(mention_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"Unlinked {n} mention(s); the ticker pages are updated.", messages.SUCCESS)


@admin.register(Surge)
class SurgeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The surge log, as `detect_surges` wrote it (read only), with each event's deliveries."""

    list_display = ("ticker", "started_at", "ended_at", "peak_at", "unique_authors", "expected_shown", "ratio_shown")
    list_display += ("score_shown", "split_shown", "detected_at")
    list_filter = (("ended_at", admin.EmptyFieldListFilter),)
    search_fields = ("ticker__symbol",)
    date_hierarchy = "started_at"
    list_select_related = ("ticker",)
    ordering = ("-started_at", "ticker")

    @admin.display(description="expected", ordering="expected")
    def expected_shown(self, obj: Surge) -> str:
        return f"{obj.expected:.1f}"

    @admin.display(description="x usual")
    def ratio_shown(self, obj: Surge) -> str:
        return f"{obj.ratio:.1f}x" if obj.ratio is not None else "—"

    @admin.display(description="score", ordering="score")
    def score_shown(self, obj: Surge) -> str:
        return f"{obj.score:.1f}"

    @admin.display(description="bull / bear")
    def split_shown(self, obj: Surge) -> str:
        if obj.bullish_pct is None:
            return "—"
        return f"{obj.bullish_pct:.0f}% / {obj.bearish_pct:.0f}%"


@admin.register(AlertDelivery)
class AlertDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The alert delivery log: one row per surge and webhook (the URL's scheme and host only)."""

    list_display = ("surge", "url_label", "state", "attempts", "next_attempt_at", "sent_at", "last_error")
    list_filter = ("state", "url_label")
    search_fields = ("surge__ticker__symbol", "url_label")
    list_select_related = ("surge__ticker",)
    ordering = ("-surge__started_at", "url_label")
