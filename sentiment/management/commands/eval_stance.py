"""manage.py eval_stance PATH: per-class precision/recall of the CURRENT stance scorer on a label,text CSV.

The current scorer is what analyze_sentiment uses for stance: the promoted model of the
store (STANCE_MODEL_STORE), else cues + VADER. The file is read like import_labels reads
it (same header, labels and checks); rejected rows are reported and left out. Nothing is
written. Exit codes: 0, 2 a file that is not a label CSV (or has no usable row), 3 the
store cannot be read (--strict-store; otherwise an unreadable store means cues + VADER,
as in analyze_sentiment).
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from sentiment.stance.baseline import CuesVaderScorer
from sentiment.stance.labels import LabelFileError, labels_parse
from sentiment.stance.store import StoreError, promoted_read, promoted_scorer, scorer_load, store_open

EXIT_BAD_INPUT = 2
EXIT_STORE = 3


class Command(BaseCommand):
    help = (
        "Measure the live stance scorer (the promoted model, else cues + VADER) on a label,text CSV: "
        "per-class precision/recall, macro recall, accuracy, confusion."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", help="CSV with the header label,text (bullish/bearish/neutral, or positive/negative)."
        )
        parser.add_argument(
            "--store", default=None, help="Model store (default STANCE_MODEL_STORE): a directory or s3://bucket/prefix."
        )
        parser.add_argument("--json", action="store_true", help="Print the metrics as JSON.")
        parser.add_argument(
            "--strict-store",
            action="store_true",
            help="Fail (exit 3) when the store cannot be read, instead of measuring cues + VADER.",
        )

    def _scorer(self, options):
        if options["store"] is None and not options["strict_store"]:
            return promoted_scorer() or CuesVaderScorer()
        try:
            store = store_open(options["store"])
            pointer = promoted_read(store)
            return scorer_load(store, pointer["version"]) if pointer else CuesVaderScorer()
        except StoreError as exc:
            raise CommandError(f"model store: {exc}", returncode=EXIT_STORE) from None

    def handle(self, *args, **options):
        from sentiment.stance.linear import evaluate

        try:
            report = labels_parse(options["path"])
        except LabelFileError as exc:
            raise CommandError(str(exc), returncode=EXIT_BAD_INPUT) from None
        for bad in report.rejected:
            self.stderr.write(f"{options['path']}:{bad.line}: left out: {bad.reason}")
        if not report.rows:
            raise CommandError(f"{options['path']}: no usable row to evaluate", returncode=EXIT_BAD_INPUT)
        scorer = self._scorer(options)
        rows = report.rows
        metrics = evaluate(scorer.score, [r.text for r in rows], [r.label for r in rows])
        metrics["scorer"] = scorer.name
        metrics["rejected"] = len(report.rejected)
        if options["json"]:
            self.stdout.write(json.dumps(metrics, indent=2, sort_keys=True))
            return
        self.stdout.write(f"eval_stance: scorer {scorer.name} on {metrics['n']} examples from {options['path']}")
        self.stdout.write(f"  {'label':<8} {'precision':>9} {'recall':>7} {'f1':>6} {'n':>6}")
        for label, c in metrics["per_class"].items():
            self.stdout.write(
                f"  {label:<8} {c['precision']:>9.3f} {c['recall']:>7.3f} {c['f1']:>6.3f} {c['support']:>6}"
            )
        self.stdout.write(
            f"  macro recall {metrics['macro_recall']:.4f}; directional (bullish/bearish) "
            f"{metrics['directional_macro_recall']:.4f}; accuracy {metrics['accuracy']:.4f}"
        )
        labels = metrics["labels"]
        self.stdout.write("  confusion (rows gold, columns predicted): " + " ".join(f"{p[:4]:>5}" for p in labels))
        for gold in labels:
            cells = " ".join(f"{metrics['confusion'][gold][p]:>5}" for p in labels)
            self.stdout.write(f"    {gold:<8} {cells}")
