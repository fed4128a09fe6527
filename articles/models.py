"""The domain: tickers, Reddit articles (posts and comments), mentions, hourly rollups.

Data flows one way: ingest writes Article and Mention, sentiment writes the
sentiment fields, reviewers write the review fields, and the rollups
(`TickerHourly`) summarise them per ticker per hour for the pages; `detect_surges`
writes `Surge` events from the rollups and the alert job logs each webhook send (`AlertDelivery`).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.db.models import Q


class SentimentLabel(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEGATIVE = "negative", "Negative"
    NEUTRAL = "neutral", "Neutral"


LABEL_VALUES = [value for value, _ in SentimentLabel.choices]


class StanceLabel(models.TextChoices):
    """A mention's stance on its ticker: what people come for ("is r/wsb bullish on TSLA?")."""

    BULLISH = "bullish", "Bullish"
    BEARISH = "bearish", "Bearish"
    NEUTRAL = "neutral", "Neutral"


STANCE_VALUES = [value for value, _ in StanceLabel.choices]
#: The one mapping between an article's sentiment label and a mention's stance (the
#: migration that introduced stance, the review of single-ticker articles, the rollups'
#: column names: `positive` counts bullish mentions).
LABEL_TO_STANCE = {
    SentimentLabel.POSITIVE.value: StanceLabel.BULLISH.value,
    SentimentLabel.NEGATIVE.value: StanceLabel.BEARISH.value,
    SentimentLabel.NEUTRAL.value: StanceLabel.NEUTRAL.value,
}
STANCE_TO_LABEL = {stance: label for label, stance in LABEL_TO_STANCE.items()}


#: The one rule for a ticker symbol: the `ticker_symbol_format` constraint, the
#: ticker-list parsers and the page URLs all use it (SYMBOL_RE.fullmatch(symbol)).
SYMBOL_PATTERN = r"^[A-Z0-9.\-]{1,10}$"
SYMBOL_RE = re.compile(SYMBOL_PATTERN)


def article_text(*, kind: str, title: str, body: str) -> str:
    """The raw text of an article: title, blank line, body for a post; the body for a comment.

    This is what the ticker linker reads and what `Article.text` returns. The
    sentiment models read a cleaned version of the same pieces
    (`sentiment.text.scoring_text`, which strips markdown, links and quotes).
    """
    if kind == "post" and title:
        return f"{title}\n\n{body}".strip()
    return body


REDDIT_BASE_URL = "https://www.reddit.com"
#: The range of an Article's counts (score: +-COUNT_MAX, num_comments: 0..COUNT_MAX): the edge
#: clamps to it (`ingest.validation`), the rollups clamp what they add to it. Reddit's are far below.
COUNT_MAX = 2**31 - 1


def safe_reddit_url(permalink: str) -> str:
    """The one policy for links to Reddit, wherever a page, the API or the admin shows one.

    Only `https://www.reddit.com` + a permalink that starts with '/' (a path on Reddit,
    as Reddit gives them), with no whitespace or control characters; '' for anything
    else (a full URL, `javascript:…`, an empty permalink), and the templates then show
    no link. Permalinks come from Reddit, but they are still text someone else wrote.
    """
    if permalink.startswith("/") and permalink.isprintable() and not any(c.isspace() for c in permalink):
        return f"{REDDIT_BASE_URL}{permalink}"
    return ""


class Ticker(models.Model):
    symbol = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=200, blank=True)
    exchange = models.CharField(max_length=32, blank=True)
    is_etf = models.BooleanField("ETF", default=False)
    aliases = models.JSONField(default=list, blank=True, help_text="Other names people use, e.g. company short names.")
    is_active = models.BooleanField(
        "linkable",
        default=True,
        help_text="Untick to never link this symbol (e.g. YOLO, DD): the scraper stops linking it on its next run.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["symbol"]
        constraints = [
            models.CheckConstraint(condition=~Q(symbol=""), name="ticker_symbol_not_empty"),
            models.CheckConstraint(condition=Q(symbol__regex=SYMBOL_PATTERN), name="ticker_symbol_format"),
        ]

    def __str__(self) -> str:
        return self.symbol


class Article(models.Model):
    """One Reddit post or comment, keyed by its Reddit fullname (t3_… / t1_…).

    `sentiment_*` and `reviewed_label` are about the whole text; what the text says
    about each ticker is the stance on its `Mention` rows, and that is what the pages count.
    """

    class Kind(models.TextChoices):
        POST = "post", "Post"
        COMMENT = "comment", "Comment"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    # Unique through `article_reddit_id_unique` (Meta.constraints), not `unique=True`: on
    # PostgreSQL that would add a second, `varchar_pattern_ops` index for LIKE queries,
    # which nothing runs (migration 0010).
    reddit_id = models.CharField("Reddit id", max_length=20, help_text="Fullname: t3_ for posts, t1_ for comments.")
    subreddit = models.CharField(max_length=64)
    parent_post_id = models.CharField(
        max_length=20, blank=True, help_text="For a comment: the fullname (t3_…) of the post it belongs to."
    )
    title = models.TextField(blank=True)
    body = models.TextField(blank=True)
    author = models.CharField(max_length=64, blank=True)
    permalink = models.CharField(max_length=512, blank=True)
    score = models.BigIntegerField("upvotes", default=0)  # Reddit's own numbers can pass 2**31
    num_comments = models.BigIntegerField(default=0)
    is_removed = models.BooleanField(default=False, help_text="[deleted] or [removed] on Reddit: kept, without text.")
    created_utc = models.DateTimeField(db_index=False)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Model output (written by analyze_sentiment only).
    sentiment_score = models.FloatField(null=True, blank=True, help_text="P(positive) − P(negative), in [-1, 1].")
    sentiment_label = models.CharField(max_length=8, choices=SentimentLabel.choices, blank=True)
    sentiment_confidence = models.FloatField(null=True, blank=True)
    sentiment_model = models.CharField(max_length=200, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    # The light second opinion (VADER), kept beside FinBERT so reviewers can see disagreement.
    vader_score = models.FloatField(null=True, blank=True)
    vader_label = models.CharField(max_length=8, choices=SentimentLabel.choices, blank=True)

    # Human review (written by reviewers only; overrides the model label in rollups).
    reviewed_label = models.CharField(max_length=8, choices=SentimentLabel.choices, blank=True)
    # Indexed by `article_reviewed_by_idx`, on the reviewed rows only (an FK index would hold a
    # NULL entry for every article never reviewed: nearly all of them).
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reviewed_articles",
        db_index=False,
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    tickers = models.ManyToManyField(Ticker, through="Mention", related_name="articles")

    class Meta:
        ordering = ["-created_utc"]
        indexes = [
            models.Index(fields=["-created_utc"], name="article_created_idx"),
            models.Index(fields=["subreddit", "-created_utc"], name="article_sub_created_idx"),
            models.Index(fields=["parent_post_id"], name="article_parent_idx"),
            # The sentiment backlog, in analyze_sentiment's claim order: newest created first (issue 14).
            models.Index(
                fields=["-created_utc", "-id"],
                condition=Q(scored_at__isnull=True, is_removed=False),
                name="article_unscored_newest_idx",
            ),
            models.Index(fields=["-reviewed_at"], condition=Q(reviewed_at__isnull=False), name="article_reviewed_idx"),
            models.Index(
                fields=["reviewed_by"], condition=Q(reviewed_by__isnull=False), name="article_reviewed_by_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["reddit_id"], name="article_reddit_id_unique"),
            models.CheckConstraint(condition=Q(kind__in=["post", "comment"]), name="article_kind_valid"),
            models.CheckConstraint(
                condition=Q(sentiment_score__isnull=True) | Q(sentiment_score__gte=-1.0, sentiment_score__lte=1.0),
                name="article_sentiment_score_range",
            ),
            models.CheckConstraint(
                condition=Q(sentiment_confidence__isnull=True)
                | Q(sentiment_confidence__gte=0.0, sentiment_confidence__lte=1.0),
                name="article_sentiment_confidence_range",
            ),
            models.CheckConstraint(
                condition=Q(vader_score__isnull=True) | Q(vader_score__gte=-1.0, vader_score__lte=1.0),
                name="article_vader_score_range",
            ),
            models.CheckConstraint(
                condition=Q(sentiment_label__in=["", *LABEL_VALUES]), name="article_sentiment_label_valid"
            ),
            models.CheckConstraint(condition=Q(vader_label__in=["", *LABEL_VALUES]), name="article_vader_label_valid"),
            models.CheckConstraint(
                condition=Q(reviewed_label__in=["", *LABEL_VALUES]), name="article_reviewed_label_valid"
            ),
            # Scored means a label and a time, together.
            models.CheckConstraint(
                condition=(Q(scored_at__isnull=True) & Q(sentiment_label=""))
                | (Q(scored_at__isnull=False) & ~Q(sentiment_label="")),
                name="article_scored_consistent",
            ),
            models.CheckConstraint(
                condition=(Q(reviewed_at__isnull=True) & Q(reviewed_label=""))
                | (Q(reviewed_at__isnull=False) & ~Q(reviewed_label="")),
                name="article_reviewed_consistent",
            ),
            models.CheckConstraint(condition=Q(num_comments__gte=0), name="article_num_comments_nonneg"),
        ]

    def __str__(self) -> str:
        return self.reddit_id

    @property
    def effective_label(self) -> str:
        """The label that counts: a reviewer's, else the model's ('' when unscored)."""
        return self.reviewed_label or self.sentiment_label

    @property
    def text(self) -> str:
        """The raw text: see `article_text`."""
        return article_text(kind=self.kind, title=self.title, body=self.body)

    @property
    def reddit_url(self) -> str:
        """The article on Reddit, or '' when its permalink is not a safe one (`safe_reddit_url`)."""
        return safe_reddit_url(self.permalink)


class Mention(models.Model):
    """An article talks about a ticker. One row per (article, ticker), with the stance on THAT ticker.

    "Sold my TSLA, all in NVDA calls" is one article, two mentions: TSLA bearish, NVDA
    bullish. `analyze_sentiment` writes the model's stance (`stance`, `stance_score`,
    `stance_model`, `stance_cues`) together with the article's sentiment, in the same
    transaction (`sentiment.stance.scoring`); a reviewer's correction is `reviewed_stance`. The
    effective stance (`effective_stance`: the reviewer's, else the model's) is what the
    rollups, and so every page, count. '' means not scored yet.
    """

    # No index of its own on `article`: the unique (article, ticker) index starts with it.
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="mentions", db_index=False)
    # Nor on `ticker`: mention_ticker_created_idx starts with it.
    ticker = models.ForeignKey(Ticker, on_delete=models.CASCADE, related_name="mentions", db_index=False)
    confidence = models.FloatField(default=1.0)
    matched_text = models.CharField(max_length=64, blank=True)
    # Denormalised from the article so "newest articles for TSLA" is one index range scan.
    created_utc = models.DateTimeField()

    # Model output (written by analyze_sentiment only, with the article's scores). The
    # database defaults let raw inserts of mentions (import_dump's INSERT ... SELECT) leave
    # them out: a new mention is unscored.
    stance = models.CharField(max_length=8, choices=StanceLabel.choices, blank=True, default="", db_default="")
    stance_score = models.FloatField(null=True, blank=True, help_text="Bullish (+1) to bearish (-1).")
    stance_model = models.CharField(
        max_length=200,
        blank=True,
        default="",
        db_default="",
        help_text='What produced it: "cues+vader", "cues+finbert:<model>", "linear:<version>".',
    )
    stance_cues = models.JSONField(
        default=list,
        db_default=[],
        blank=True,
        help_text="The retail cues that fired in this ticker's text: [[name, weight], ...].",
    )
    # Human review (written by reviewers only; overrides the model's stance in rollups).
    reviewed_stance = models.CharField(max_length=8, choices=StanceLabel.choices, blank=True, default="", db_default="")
    stance_reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "ticker"], name="mention_article_ticker_unique"),
            models.CheckConstraint(
                condition=Q(confidence__gte=0.0, confidence__lte=1.0), name="mention_confidence_range"
            ),
            models.CheckConstraint(condition=Q(stance__in=["", *STANCE_VALUES]), name="mention_stance_valid"),
            models.CheckConstraint(
                condition=Q(reviewed_stance__in=["", *STANCE_VALUES]), name="mention_reviewed_stance_valid"
            ),
            models.CheckConstraint(
                condition=Q(stance_score__isnull=True) | Q(stance_score__gte=-1.0, stance_score__lte=1.0),
                name="mention_stance_score_range",
            ),
            # Scored means a stance and a score, together.
            models.CheckConstraint(
                condition=(Q(stance="") & Q(stance_score__isnull=True))
                | (~Q(stance="") & Q(stance_score__isnull=False)),
                name="mention_stance_scored_consistent",
            ),
            models.CheckConstraint(
                condition=(Q(stance_reviewed_at__isnull=True) & Q(reviewed_stance=""))
                | (Q(stance_reviewed_at__isnull=False) & ~Q(reviewed_stance="")),
                name="mention_stance_reviewed_consistent",
            ),
        ]
        indexes = [
            models.Index(fields=["ticker", "-created_utc", "-article"], name="mention_ticker_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticker_id}@{self.article_id}"

    @property
    def effective_stance(self) -> str:
        """The stance that counts: a reviewer's, else the model's ('' when unscored)."""
        return self.reviewed_stance or self.stance


class TickerHourly(models.Model):
    """Per ticker per hour aggregates, maintained by `articles.services.rollups_refresh`.

    Pages and the API read these, never raw articles, for aggregates. They count
    mentions by their effective STANCE on this ticker (`Mention.effective_stance`: a
    reviewer's overrides the model's), not the article's label: `positive` counts
    bullish mentions, `negative` bearish ones, `neutral` neutral ones (the column
    names predate per-mention stance and are kept to spare every reader a rename);
    `scored` counts mentions with a stance, and `sentiment_sum` adds +1/−1/0 for
    reviewed stances, the model's `stance_score` otherwise. The net sentiment the site
    shows is made from the counts (`leaderboard.net_sentiment`), not from `sentiment_sum`.
    """

    ticker = models.ForeignKey(Ticker, on_delete=models.CASCADE, related_name="hourly")
    hour = models.DateTimeField()
    mentions = models.PositiveIntegerField(default=0)
    posts = models.PositiveIntegerField(default=0)
    comments = models.PositiveIntegerField(default=0)
    unique_authors = models.PositiveIntegerField(default=0)
    upvotes = models.BigIntegerField(default=0)
    scored = models.PositiveIntegerField(default=0)
    positive = models.PositiveIntegerField(default=0)
    negative = models.PositiveIntegerField(default=0)
    neutral = models.PositiveIntegerField(default=0)
    sentiment_sum = models.FloatField(default=0.0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-hour"]
        constraints = [
            models.UniqueConstraint(fields=["ticker", "hour"], name="tickerhourly_ticker_hour_unique"),
            models.CheckConstraint(
                condition=Q(scored__lte=models.F("mentions")), name="tickerhourly_scored_le_mentions"
            ),
            models.CheckConstraint(
                condition=Q(scored=models.F("positive") + models.F("negative") + models.F("neutral")),
                name="tickerhourly_labels_add_up",
            ),
            models.CheckConstraint(
                condition=Q(mentions=models.F("posts") + models.F("comments")), name="tickerhourly_kinds_add_up"
            ),
        ]
        indexes = [
            models.Index(fields=["hour", "ticker"], name="tickerhourly_hour_idx"),
            # The newest write: the data version the site's leaderboard cache is keyed on.
            models.Index(fields=["-updated_at"], name="tickerhourly_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticker_id} {self.hour:%Y-%m-%d %H}:00"


class Surge(models.Model):
    """A ticker talked about far above its own usual level: one event, written by `detect_surges`.

    It opens at its first flagged hour (`started_at`), stays open (`ended_at` empty) while
    the ticker stays high, and closes at the first hour back to normal. The counts add up
    the event's hours so far; `expected*` is what the ticker's own baseline predicted for
    them. One event per ticker and start hour, so a replay over the same range rewrites it.
    """

    ticker = models.ForeignKey(Ticker, on_delete=models.CASCADE, related_name="surges")
    started_at = models.DateTimeField(help_text="The first flagged hour (its start, UTC).")
    ended_at = models.DateTimeField(null=True, blank=True, help_text="The first hour back to normal; empty while open.")
    peak_at = models.DateTimeField(help_text="The event's hour with the highest distinct-author score.")
    last_hour = models.DateTimeField(help_text="The latest hour judged part of the event.")
    mentions = models.PositiveIntegerField(default=0)
    expected_mentions = models.FloatField(default=0.0)
    unique_authors = models.PositiveIntegerField(default=0)
    expected = models.FloatField(default=0.0, help_text="Distinct authors the baseline expected over the event.")
    score = models.FloatField(default=0.0, help_text="-log10 p of the event's distinct authors under the baseline.")
    bullish = models.PositiveIntegerField(default=0)
    bearish = models.PositiveIntegerField(default=0)
    neutral = models.PositiveIntegerField(default=0)
    usual_bullish_pct = models.FloatField(
        null=True, blank=True, help_text="The ticker's split over its baseline weeks."
    )
    usual_bearish_pct = models.FloatField(null=True, blank=True)
    detected_at = models.DateTimeField(
        help_text="When the job first recorded it (the replayed hour's end on a replay)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at", "ticker"]
        constraints = [
            models.UniqueConstraint(fields=["ticker", "started_at"], name="surge_ticker_started_unique"),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gt=models.F("started_at")),
                name="surge_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["-started_at"], name="surge_started_idx"),  # the API's and feed's newest first
            # (one ticker's surges: the unique (ticker, started_at) index, read backwards)
        ]

    def __str__(self) -> str:
        return f"{self.ticker_id} surge from {self.started_at:%Y-%m-%d %H}:00"

    @property
    def ratio(self) -> float | None:
        """How many times its usual level (distinct authors); None without a baseline."""
        return self.unique_authors / self.expected if self.expected > 0 else None

    @property
    def bullish_pct(self) -> float | None:
        scored = self.bullish + self.bearish + self.neutral
        return 100.0 * self.bullish / scored if scored else None

    @property
    def bearish_pct(self) -> float | None:
        scored = self.bullish + self.bearish + self.neutral
        return 100.0 * self.bearish / scored if scored else None


class AlertDelivery(models.Model):
    """The delivery log: one row per surge and webhook URL, so each surge is sent once per URL.

    A sender claims a row (`claimed_at`, `claimed_by`) before it posts and marks it `sent`
    after; a failure sets `next_attempt_at` (backoff) and `last_error`. A claim older than
    the send timeout is taken over, which is how a send killed mid-way is retried.
    """

    class State(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed", "failed (gave up)"

    surge = models.ForeignKey(Surge, on_delete=models.CASCADE, related_name="deliveries")
    url_hash = models.CharField(
        max_length=64, help_text="sha256 of the URL: the log never stores a webhook's secret path."
    )
    url_label = models.CharField(max_length=200, help_text="The URL's scheme and host, for the operator.")
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["surge", "url_hash"], name="alertdelivery_surge_url_unique"),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="alertdelivery_due_idx"),
        ]

    def __str__(self) -> str:
        return f"surge {self.surge_id} -> {self.url_label} ({self.state})"


class PriceBar(models.Model):
    """One OHLCV bar of a ticker: a trading day (`1d`, `start` is the date at 00:00 UTC) or an
    intraday bar (`intraday`, `start` is the bar's start in UTC). Written by `import_prices`."""

    class Interval(models.TextChoices):
        DAY = "1d", "daily"
        INTRADAY = "intraday", "intraday"

    ticker = models.ForeignKey(Ticker, on_delete=models.CASCADE, related_name="price_bars")
    interval = models.CharField(max_length=8, choices=Interval.choices, default=Interval.DAY)
    start = models.DateTimeField(help_text="The trading day (00:00 UTC) or the intraday bar's start (UTC).")
    open = models.DecimalField(max_digits=18, decimal_places=6)
    high = models.DecimalField(max_digits=18, decimal_places=6)
    low = models.DecimalField(max_digits=18, decimal_places=6)
    close = models.DecimalField(max_digits=18, decimal_places=6)
    volume = models.PositiveBigIntegerField(default=0)
    source = models.CharField(max_length=40, default="file", help_text="Where it came from, e.g. the file's name.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ticker", "interval", "-start"]
        constraints = [
            models.UniqueConstraint(fields=["ticker", "interval", "start"], name="pricebar_ticker_interval_start"),
            models.CheckConstraint(
                condition=Q(low__lte=models.F("high")) & Q(low__gt=0), name="pricebar_low_positive_below_high"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticker_id} {self.interval} {self.start:%Y-%m-%d %H:%M}"
