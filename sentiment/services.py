"""Writes for analyze_sentiment: claim unscored articles, score them, write the scores, one chunk at a time.

On PostgreSQL the claim is `SELECT ... FOR UPDATE SKIP LOCKED` inside the chunk's one
transaction (a dead worker's rows are simply unclaimed again); on SQLite the chunk is read,
scored and written with a guarded UPDATE. Design: docs/design/analyzers.md.
"""

from __future__ import annotations

import logging
import resource
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import OperationalError, connection, transaction
from django.utils import timezone

from articles.models import Article
from articles.selectors import articles_backlog_count
from articles.services import rollups_refresh_for_articles
from marketpulse.jobs import DryRunHandle, RunHandle
from sentiment.analyzers import Analyzer, Score, VaderAnalyzer
from sentiment.selectors import CLAIM_FIELDS, articles_claimable, claimable_condition
from sentiment.stance.scoring import mention_stances_write
from sentiment.text import scoring_text

logger = logging.getLogger(__name__)

SCORE_FIELDS = [
    "sentiment_label",
    "sentiment_score",
    "sentiment_confidence",
    "sentiment_model",
    "scored_at",
    "vader_label",
    "vader_score",
]
CLAIM_BATCHES = 4  # model batches per claimed chunk (sorting by length works across the chunk)
LOG_EVERY_SECONDS = 30.0


@dataclass
class ScoringOutcome:
    scored: int = 0
    by_label: Counter = field(default_factory=Counter)
    chunks: int = 0
    lost_races: int = 0  # SQLite only: rows another worker scored between our read and our write
    stopped: bool = False
    seconds: float = 0.0
    samples: list[tuple[int, str, Score, Score]] = field(default_factory=list)  # dry run: (id, text, model, vader)

    @property
    def items_per_second(self) -> float:
        return self.scored / self.seconds if self.seconds > 0 else 0.0


LABELS = ("positive", "negative", "neutral")
NOT_LOADED = "not loaded (nothing to score)"


def scoring_skip_if_idle(*, run: RunHandle, source: str = "all", hours_back: int | None = None) -> int | None:
    """The empty-backlog short-circuit: with nothing claimable, record the run (scored 0,
    the model not loaded) and return the backlog; None when there is work. Checked before
    the model is loaded: no torch import, no weights read, for the usual quiet 15 minutes."""
    if articles_claimable(source=source, hours_back=hours_back).exists():
        return None
    backlog = articles_backlog_count()
    for name in ("scored", *LABELS):
        run.set(name, 0)
    run.set("model", NOT_LOADED)
    run.set("backlog", backlog)
    return backlog


def scoring_run_start(*, run: RunHandle, analyzer: Analyzer) -> None:
    """The run's counters before the first chunk: the model, and zero of everything."""
    run.set("model", analyzer.name)
    for name in ("scored", *LABELS):
        run.set(name, 0)
    run.save_counters()


def scoring_run_finish(*, run: RunHandle, outcome: ScoringOutcome) -> int:
    """The run's closing counters (backlog left, speed, memory, lost races); returns the backlog."""
    backlog = articles_backlog_count()
    run.set("backlog", backlog)
    run.set("items_per_s", round(outcome.items_per_second, 2))
    run.set("peak_rss_mb", round(peak_rss_mb(), 1))
    if outcome.lost_races:
        run.set("lost_races", outcome.lost_races)
    return backlog


def dry_run_tally(outcome: ScoringOutcome) -> dict[str, int]:
    """The labels the dry run would have written: {positive, negative, neutral: count}."""
    tally = dict.fromkeys(LABELS, 0)
    for _pk, _text, score, _vader in outcome.samples:
        tally[score[0]] += 1
    return tally


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def articles_score(
    *,
    analyzer: Analyzer,
    vader: VaderAnalyzer,
    run: RunHandle | None = None,
    source: str = "all",
    hours_back: int | None = None,
    limit: int | None = None,
    rescore: bool = False,
    dry_run: bool = False,
    claim_size: int | None = None,
    on_chunk: Callable[[ScoringOutcome, int], None] | None = None,
) -> ScoringOutcome:
    """Score claimable articles until none is left, `limit` is reached, or a stop is requested.

    `run` is the job's run handle (`marketpulse.jobs`; a `DryRunHandle()` when None): its
    `stop_requested` is checked between model batches; counters are incremented and
    saved after each committed chunk.
    `on_chunk(outcome, written)` is called after each chunk (progress bars, logs).
    """
    run = run if run is not None else DryRunHandle()
    claim_size = claim_size or analyzer.batch_size * CLAIM_BATCHES
    run_started = timezone.now()
    rescore_before = run_started if rescore else None
    outcome = ScoringOutcome()
    started = time.monotonic()
    last_log = started
    postgres = connection.vendor == "postgresql"
    if dry_run and limit is None:
        limit = claim_size

    while not run.stop_requested:
        want = claim_size if limit is None else min(claim_size, limit - outcome.scored - len(outcome.samples))
        if want <= 0:
            break
        queryset = articles_claimable(
            source=source,
            hours_back=hours_back,
            rescore_before=rescore_before,
            now=run_started,
        ).only(*CLAIM_FIELDS)
        if dry_run:
            rows = list(queryset[:want])
            if not rows:
                break
            scores = _model_scores(rows, analyzer, run)
            vader_scores = _vader_scores(rows, scores, analyzer, vader)
            for row, s, v in zip(rows, scores, vader_scores, strict=False):
                if s is not None:
                    outcome.samples.append((row.pk, _text(row), s, v))
            outcome.chunks += 1
            break  # a dry run never writes, so the same rows would come back: one chunk shows it
        stamp = timezone.now()
        if postgres:
            with transaction.atomic():
                rows = list(queryset.select_for_update(skip_locked=True)[:want])
                if not rows:
                    break
                scores = _model_scores(rows, analyzer, run)
                later = not isinstance(analyzer, VaderAnalyzer)  # VADER's opinion after the commit
                vader_scores = [None] * len(rows) if later else list(scores)
                written = _write(rows, scores, vader_scores, analyzer.name, rescore_before, now=stamp)
            if later and written:
                _vader_write(rows, written, vader, analyzer.name, stamp)
        else:
            rows = list(queryset[:want])
            if not rows:
                break
            scores = _model_scores(rows, analyzer, run)
            vader_scores = _vader_scores(rows, scores, analyzer, vader)
            with transaction.atomic():
                written = _write(rows, scores, vader_scores, analyzer.name, rescore_before, now=stamp)
        attempted = sum(1 for s in scores if s is not None)
        outcome.lost_races += attempted - len(written)
        outcome.chunks += 1
        if written:
            _refresh_rollups([pk for pk, _ in written])
            labels = Counter(label for _, label in written)
            outcome.scored += len(written)
            outcome.by_label.update(labels)
            run.incr("scored", len(written))
            for label in ("positive", "negative", "neutral"):
                run.incr(label, labels.get(label, 0))
            run.save_counters()
        outcome.seconds = time.monotonic() - started
        if on_chunk is not None:
            on_chunk(outcome, len(written))
        now = time.monotonic()
        if now - last_log >= LOG_EVERY_SECONDS:
            last_log = now
            logger.info(
                "analyze_sentiment: %d scored so far, %.1f items/s, peak RSS %.0f MB",
                outcome.scored,
                outcome.items_per_second,
                peak_rss_mb(),
            )
    outcome.stopped = bool(run.stop_requested)
    outcome.seconds = time.monotonic() - started
    return outcome


def _text(row: Article) -> str:
    return scoring_text(kind=row.kind, title=row.title, body=row.body)


def _model_scores(rows: Sequence[Article], analyzer: Analyzer, run: RunHandle) -> list[Score | None]:
    """The model's scores, None where a stop cut the chunk short (checked after every model batch;
    VADER yields one text at a time)."""
    texts = [_text(row) for row in rows]
    scores: list[Score | None] = [None] * len(rows)
    for idx, batch_scores in analyzer.score_batches(texts):
        for i, s in zip(idx, batch_scores, strict=False):
            scores[i] = s
        if run.stop_requested:
            break  # the finished batches are written; the rest is released unscored
    return scores


def _vader_scores(
    rows: Sequence[Article], scores: Sequence[Score | None], analyzer: Analyzer, vader: VaderAnalyzer
) -> list[Score | None]:
    """VADER's opinion beside the model's, for the rows the model scored (the model's own when it is VADER)."""
    if isinstance(analyzer, VaderAnalyzer):
        return list(scores)
    return [vader.score_one(_text(row)) if s is not None else None for row, s in zip(rows, scores, strict=False)]


def _vader_write(
    rows: Sequence[Article], written: list[tuple[int, str]], vader: VaderAnalyzer, model_name: str, stamp: datetime
) -> None:
    """PostgreSQL, after the claim's commit: VADER's opinion for the rows this worker wrote, one
    UPDATE guarded by this run's stamp and model (no transaction is open while VADER reads)."""
    ours = {pk for pk, _ in written}
    objs = []
    for row in rows:
        if row.pk in ours:
            row.vader_label, row.vader_score = vader.score_one(_text(row))[:2]
            objs.append(row)
    Article.objects.filter(scored_at=stamp, sentiment_model=model_name).bulk_update(
        objs, ["vader_label", "vader_score"], batch_size=500
    )


def _write(
    rows: Sequence[Article],
    scores: Sequence[Score | None],
    vader_scores: Sequence[Score | None],
    model_name: str,
    rescore_before: datetime | None,
    *,
    now: datetime | None = None,
) -> list[tuple[int, str]]:
    """One bulk UPDATE for the chunk, guarded by the claim condition; returns (id, label) written.

    `now` is the stamp written as `scored_at` (the rows' "ours" mark; default: the clock).
    """
    now = now or timezone.now()
    objs = []
    for row, s, v in zip(rows, scores, vader_scores, strict=False):
        if s is None:
            continue
        row.sentiment_label, row.sentiment_score, row.sentiment_confidence = s
        row.sentiment_model = model_name
        row.scored_at = now
        row.vader_label, row.vader_score = (v[0], v[1]) if v is not None else ("", None)
        objs.append(row)
    if not objs:
        return []
    Article.objects.filter(claimable_condition(rescore_before=rescore_before)).bulk_update(
        objs, SCORE_FIELDS, batch_size=500
    )
    # Which of ours landed: our exact timestamp and model (another worker on SQLite may have won a row).
    ids = [o.pk for o in objs]
    written = list(
        Article.objects.filter(pk__in=ids, scored_at=now, sentiment_model=model_name).values_list(
            "id", "sentiment_label"
        )
    )
    # Each mention's stance on its ticker, in this same transaction (sentiment/stance/scoring.py).
    mention_stances_write(articles=objs, article_ids=[pk for pk, _ in written], model_name=model_name)
    return written


def _refresh_rollups(article_ids: list[int], attempts: int = 4) -> None:
    """Refresh after commit; concurrent workers' upserts can deadlock on PostgreSQL, so retry."""
    for attempt in range(1, attempts + 1):
        try:
            rollups_refresh_for_articles(article_ids=article_ids)
            return
        except OperationalError as exc:
            if attempt == attempts or not transaction.get_autocommit():
                raise
            logger.warning(
                "rollup refresh failed (%s), retrying (%d/%d)",
                exc,
                attempt,
                attempts - 1,
            )
            time.sleep(0.1 * attempt)
