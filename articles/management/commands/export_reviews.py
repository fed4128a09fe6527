"""Export reviewed articles (text, reviewer's label, model's label) as CSV or JSON Lines.

A dataset for evaluating or fine-tuning the sentiment model. Read-only.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles.quality import reviews_export


class Command(BaseCommand):
    help = "Export reviewed articles and their labels as csv or jsonl (to stdout, or --output FILE)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--format",
            choices=["csv", "jsonl"],
            required=True,
            help="Output format: csv or jsonl (one JSON object per line).",
        )
        parser.add_argument(
            "--output",
            metavar="FILE",
            help="Write to FILE (atomically: a temporary file renamed at the end) instead of standard output.",
        )

    def handle(self, *args, **options):
        fmt = options["format"]
        output = options.get("output")
        if not output:
            count = reviews_export(fmt=fmt, stream=self.stdout)
            self.stderr.write(f"exported {count} reviewed article(s)")
            return
        target = Path(output)
        if not target.parent.is_dir():
            raise CommandError(f"cannot write {target}: directory {target.parent} does not exist", returncode=2)
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        except OSError as exc:
            raise CommandError(f"cannot write {target}: {exc.strerror}", returncode=2) from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
                count = reviews_export(fmt=fmt, stream=stream)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.stdout.write(self.style.SUCCESS(f"exported {count} reviewed article(s) to {target}"))
