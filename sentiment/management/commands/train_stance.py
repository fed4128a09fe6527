"""manage.py train_stance: train the stance model on the labelled data, store it, promote it if better.

Thin: parses arguments, runs `sentiment.stance.services.stance_model_train` inside a JobRun,
prints the data, the candidate's and the current scorer's scores on the same held-out
examples, the version written and the promotion decision.

Exit codes: 0 a version was trained and stored (promoted or not: a refused promotion is
a normal outcome of a weekly run, said on stdout and in the JobRun, and must not raise
the failed-task alarm); 2 bad arguments (an unknown --source); 3 the model store cannot
be read or written; 4 not enough labelled data to hold out a stratified test set;
5 STANCE_EMBEDDING_MODEL is set but is not a saved transformer directory.

With STANCE_EMBEDDING_MODEL set, two candidates are trained (linear, embedding-head);
both held-out scores are printed and the kept one is named.
"""

from __future__ import annotations

import argparse

from django.core.management.base import BaseCommand, CommandError

from marketpulse.jobs import exit_if_stopped, job_run
from sentiment.stance.data import stance_sources
from sentiment.stance.embedding_head import EmbeddingModelError
from sentiment.stance.services import NotEnoughData, stance_model_train
from sentiment.stance.store import StoreError, store_open

EXIT_BAD_ARGS = 2
EXIT_STORE = 3
EXIT_NO_DATA = 4
EXIT_EMBEDDING_MODEL = 5


def _test_size(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a number") from None
    if not 0.05 <= value <= 0.5:
        raise argparse.ArgumentTypeError(f"must be from 0.05 to 0.5, not {value}")
    return value


class Command(BaseCommand):
    help = (
        "Train the stance model on reviewed mentions/articles and imported examples, write a versioned "
        "artefact to STANCE_MODEL_STORE, and with --promote make it the live scorer if it beats the current one."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--source",
            action="append",
            default=[],
            metavar="NAME",
            help="Train only on this source (repeatable): 'mentions' (reviewed mention stances), 'articles' "
            "(reviewed article labels) or an import_labels --source name. Default: every source.",
        )
        parser.add_argument("--seed", type=int, default=0, help="Seed of the split and the model (default 0).")
        parser.add_argument(
            "--test-size",
            type=_test_size,
            default=0.2,
            metavar="FRACTION",
            help="Share of the examples held out, stratified by label (default 0.2).",
        )
        parser.add_argument(
            "--promote",
            action="store_true",
            help="Promote the new version if, with at least 30 examples held out, its macro recall on them is higher "
            "than the current scorer's (the promoted model, else cues + VADER) on the same examples, and it does "
            "no worse than the current scorer on the shipped evaluation set (sentiment/data/stance_eval.csv).",
        )
        parser.add_argument(
            "--store", default=None, help="Model store (default STANCE_MODEL_STORE): a directory or s3://bucket/prefix."
        )

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        sources = sorted(set(options["source"])) or None
        if sources:
            known = stance_sources()
            unknown = [s for s in sources if s not in known]
            if unknown:
                listing = ", ".join(f"{k} ({n})" for k, n in sorted(known.items()))
                raise CommandError(
                    f"unknown source(s) {', '.join(unknown)}; known: {listing}", returncode=EXIT_BAD_ARGS
                )
        try:
            store = store_open(options["store"])
        except StoreError as exc:
            raise CommandError(str(exc), returncode=EXIT_STORE) from None

        with job_run("train_stance", arguments=options) as run:
            try:
                outcome = stance_model_train(
                    sources=sources,
                    seed=options["seed"],
                    test_size=options["test_size"],
                    promote_if_better=options["promote"],
                    store=store,
                    log=(lambda msg: self.stdout.write(f"train_stance: {msg}")) if verbosity >= 1 else None,
                )
            except NotEnoughData as exc:
                raise CommandError(f"not enough labelled data: {exc}", returncode=EXIT_NO_DATA) from None
            except StoreError as exc:
                raise CommandError(f"model store: {exc}", returncode=EXIT_STORE) from None
            except EmbeddingModelError as exc:
                raise CommandError(f"STANCE_EMBEDDING_MODEL: {exc}", returncode=EXIT_EMBEDDING_MODEL) from None
            run.set("version", outcome.version)
            run.set("examples", outcome.counts["total"])
            run.set("macro_recall", outcome.candidate_score)
            run.set("baseline_macro_recall", outcome.baseline_score)
            run.set("promoted", int(outcome.promoted))
        # SIGTERM only sets a flag: the training step finishes and its artefact is whole; then 143.
        exit_if_stopped(run, command="train_stance", detail=f"version {outcome.version} was written")

        if verbosity < 1:
            return
        m = outcome.metrics
        for kind, c in outcome.candidates.items():
            self.stdout.write(
                f"train_stance: candidate {kind}: held-out macro recall {c['macro_recall']:.4f}, "
                f"accuracy {c['accuracy']:.4f}, {c['train_seconds']:.1f}s" + (" <- kept" if c.get("kept") else "")
            )
        if len(outcome.candidates) > 1:
            self.stdout.write(f"train_stance: kept {outcome.kind} (the better on the held-out set)")
        self.stdout.write(
            f"train_stance: candidate {outcome.kind} on {m['n']} held-out examples: macro recall "
            f"{m['macro_recall']:.4f}, directional {m['directional_macro_recall']:.4f}, accuracy {m['accuracy']:.4f}"
        )
        for label, c in m["per_class"].items():
            self.stdout.write(f"  {label:8} precision {c['precision']:.3f} recall {c['recall']:.3f} (n {c['support']})")
        cmp = outcome.comparison
        self.stdout.write(
            f"train_stance: on the same {cmp['examples']} held-out examples: new {outcome.kind} "
            f"{outcome.candidate_score:.4f} vs current {outcome.baseline_name} {outcome.baseline_score:.4f} "
            "(macro recall)" + (f"; {cmp['note']}" if cmp["note"] else "")
        )
        ev = cmp["eval_set"]
        self.stdout.write(
            f"train_stance: on the shipped evaluation set ({ev['path']}, {ev['examples']} examples): new "
            f"{outcome.kind} {ev['candidate']:.4f} vs current {outcome.baseline_name} {ev['baseline']:.4f} (macro recall)"
        )
        self.stdout.write(f"train_stance: wrote version {outcome.version} to {outcome.uri}")
        style = self.style.SUCCESS if outcome.promoted or not options["promote"] else self.style.WARNING
        self.stdout.write(style(f"train_stance: {outcome.decision}"))
