"""manage.py stance_models: the versions in the model store with their metrics; the promoted one marked.

Reads the store (STANCE_MODEL_STORE or --store), the source of truth. Exit codes: 0,
3 the store cannot be read.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from sentiment.stance.store import StoreError, promoted_read, store_open, versions_list

EXIT_STORE = 3


class Command(BaseCommand):
    help = "List the stance model versions in the model store with their held-out metrics (* = promoted)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--store", default=None, help="Model store (default STANCE_MODEL_STORE): a directory or s3://bucket/prefix."
        )
        parser.add_argument("--json", action="store_true", help="Print the manifests as JSON instead of a table.")

    def handle(self, *args, **options):
        try:
            store = store_open(options["store"])
            versions = versions_list(store)
            pointer = promoted_read(store)
        except StoreError as exc:
            raise CommandError(str(exc), returncode=EXIT_STORE) from None
        promoted = pointer["version"] if pointer else None
        if options["json"]:
            doc = {"store": store.url, "promoted": pointer, "versions": versions}
            self.stdout.write(json.dumps(doc, indent=2, sort_keys=True))
            return
        self.stdout.write(f"stance models in {store.url}: {len(versions)} version(s); promoted: {promoted or 'none'}")
        if not versions:
            return
        head = (
            f"  {'version':<32} {'kind':<8} {'n':>5} {'macro R':>8} {'direct.':>8} {'acc.':>6} "
            f"{'bull P/R':>11} {'bear P/R':>11} {'neu P/R':>11} {'vs current':>22}  git"
        )
        self.stdout.write(head)
        for v in reversed(versions):  # newest first
            m = v.get("metrics", {})
            pc = m.get("per_class", {})

            def pr(label: str, pc=pc) -> str:
                c = pc.get(label)
                return f"{c['precision']:.2f}/{c['recall']:.2f}" if c else "-"

            cmp = v.get("comparison", {})
            vs = f"{cmp.get('baseline', {}).get('macro_recall', 0):.3f} {cmp.get('baseline_name', '')}"[:22]
            mark = "*" if v["version"] == promoted else " "
            self.stdout.write(
                f"{mark} {v['version']:<32} {v.get('kind', ''):<8} {m.get('n', 0):>5} {m.get('macro_recall', 0):>8.4f} "
                f"{m.get('directional_macro_recall', 0):>8.4f} {m.get('accuracy', 0):>6.3f} "
                f"{pr('bullish'):>11} {pr('bearish'):>11} {pr('neutral'):>11} {vs:>22}  {str(v.get('git_sha', ''))[:10]}"
            )
