"""manage.py analyze_sentiment: score every article that has no score yet.

Thin: parses arguments, loads the analyzer, and inside a JobRun (none for --dry-run,
which writes nothing) calls `sentiment.services` (the empty-backlog short-circuit
`scoring_skip_if_idle`, before any model load; `articles_score`; the run's counters;
the dry-run tally), then prints. Exit codes: 0 done, 2 bad arguments, 3 the
configured model is missing or broken (nothing was claimed), 143 stopped by
SIGTERM/SIGINT after writing the chunk in hand (the JobRun says interrupted; 128 +
SIGTERM, as scrape_reddit).
"""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from articles.selectors import articles_backlog_count
from marketpulse import cli
from marketpulse.jobs import exit_if_stopped, job_run
from sentiment.analyzers import Analyzer, ModelBroken, VaderAnalyzer, analyzer_load
from sentiment.selectors import SOURCES
from sentiment.services import (
    ScoringOutcome,
    articles_score,
    dry_run_tally,
    peak_rss_mb,
    scoring_run_finish,
    scoring_run_start,
    scoring_skip_if_idle,
)

EXIT_MODEL_BROKEN = 3


class Command(BaseCommand):
    help = "Score the sentiment of articles that have none yet (FinBERT, or VADER), in parallel-safe batches."

    def add_arguments(self, parser):
        parser.add_argument(
            "--source",
            choices=SOURCES,
            default="all",
            help="Which articles: 'reddit' (Reddit fullnames t1_/t3_) or 'all' (default).",
        )
        parser.add_argument(
            "--hours-back",
            type=cli.positive_int,
            default=None,
            metavar="N",
            help="Only articles first seen in the last N hours (default: the whole backlog).",
        )
        parser.add_argument(
            "--limit",
            type=cli.positive_int,
            default=None,
            metavar="N",
            help="Score at most N articles in this run.",
        )
        parser.add_argument(
            "--batch-size",
            type=cli.positive_int,
            default=None,
            metavar="N",
            help=f"Texts per model forward pass (default SENTIMENT_BATCH_SIZE={settings.SENTIMENT_BATCH_SIZE}); "
            "a claimed chunk is 4 batches.",
        )
        parser.add_argument(
            "--model",
            choices=["finbert", "vader"],
            default=None,
            help=f"Analyzer (default SENTIMENT_BACKEND={settings.SENTIMENT_BACKEND}); FinBERT comes from "
            "SENTIMENT_MODEL, a local directory or a hub id already in the local cache.",
        )
        parser.add_argument(
            "--rescore",
            action="store_true",
            help="Score again articles that already have a score (e.g. after a model change); each once per run.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Load the model and score one chunk (or --limit articles) without writing anything.",
        )

    def handle(self, *args, **options):
        verbosity, dry_run = options["verbosity"], options["dry_run"]
        with job_run("analyze_sentiment", arguments=options, dry_run=dry_run) as run:
            if not options["rescore"] and not dry_run:
                backlog = scoring_skip_if_idle(run=run, source=options["source"], hours_back=options["hours_back"])
                if backlog is not None:
                    if verbosity >= 1:
                        self.stdout.write(
                            f"analyze_sentiment: scored 0, nothing to score (source {options['source']}); "
                            f"the model was not loaded, backlog {backlog}"
                        )
                    return
            analyzer = self._analyzer(options)  # fail fast: loaded before any article is claimed
            scoring_run_start(run=run, analyzer=analyzer)
            if verbosity >= 1:
                self.stdout.write(f"analyze_sentiment: model {analyzer.name}" + (" (dry run)" if dry_run else ""))
            bar = self._progress_bar(options) if verbosity >= 1 and not dry_run and sys.stderr.isatty() else None
            try:
                outcome = articles_score(
                    analyzer=analyzer,
                    vader=analyzer if isinstance(analyzer, VaderAnalyzer) else VaderAnalyzer(),
                    run=run,
                    source=options["source"],
                    hours_back=options["hours_back"],
                    limit=options["limit"],
                    rescore=options["rescore"],
                    dry_run=dry_run,
                    on_chunk=(lambda _o, written: bar.update(written)) if bar is not None else None,
                )
            finally:
                if bar is not None:
                    bar.close()
            backlog = scoring_run_finish(run=run, outcome=outcome)
            if dry_run:
                self._dry_run_report(outcome, verbosity)
            else:
                self._summary(outcome, analyzer, backlog, verbosity)
        exit_if_stopped(run, command="analyze_sentiment", detail="every chunk scored so far is written")

    def _analyzer(self, options) -> Analyzer:
        try:
            return analyzer_load(
                backend=options["model"] or settings.SENTIMENT_BACKEND,
                model_ref=settings.SENTIMENT_MODEL,
                max_tokens=settings.SENTIMENT_MAX_TOKENS,
                batch_size=options["batch_size"] or settings.SENTIMENT_BATCH_SIZE,
                quantize=settings.SENTIMENT_QUANTIZE,
                threads=settings.SENTIMENT_THREADS or None,
                warn=lambda message: self.stderr.write(self.style.WARNING(f"WARNING: {message}")),
            )
        except ModelBroken as exc:
            raise CommandError(
                f"sentiment model unusable: {exc}. Fix SENTIMENT_MODEL (a directory made by "
                "`python -m sentiment.download_model --out DIR`), or run with --model vader.",
                returncode=EXIT_MODEL_BROKEN,
            ) from exc

    def _progress_bar(self, options):
        from tqdm import tqdm

        total = articles_backlog_count()
        if options["limit"]:
            total = min(total, options["limit"])
        return tqdm(total=total, unit="article", desc="scoring", file=sys.stderr)

    def _dry_run_report(self, outcome: ScoringOutcome, verbosity: int) -> None:
        tally = dry_run_tally(outcome)
        self.stdout.write(
            f"dry run: would score {len(outcome.samples)} articles "
            f"(positive {tally['positive']}, negative {tally['negative']}, neutral {tally['neutral']}); "
            "nothing written"
        )
        if verbosity >= 2:
            for pk, text, score, vader_score in outcome.samples:
                snippet = " ".join(text.split())[:80]
                self.stdout.write(
                    f"  #{pk} {score[0]:8} {score[1]:+.3f} conf {score[2]:.2f} | vader {vader_score[0]:8} "
                    f"{vader_score[1]:+.3f} | {snippet}"
                )

    def _summary(self, outcome: ScoringOutcome, analyzer: Analyzer, backlog: int, verbosity: int) -> None:
        summary = (
            f"analyze_sentiment: scored {outcome.scored} (positive {outcome.by_label['positive']}, "
            f"negative {outcome.by_label['negative']}, neutral {outcome.by_label['neutral']}) "
            f"in {outcome.seconds:.1f} s, {outcome.items_per_second:.1f} items/s, "
            f"peak RSS {peak_rss_mb():.0f} MB, model {analyzer.name}, backlog {backlog}"
        )
        if outcome.stopped:
            summary += " — stopped by signal, the JobRun is marked interrupted"
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(summary) if not outcome.stopped else self.style.WARNING(summary))
