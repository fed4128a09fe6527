"""manage.py setup_secrets: create or update the job secrets (SSM or Secrets Manager).

Values come from a hidden prompt or SECRET_<VARIABLE> (--from-env) and are never printed.
See docs/design/operations.md.
"""

from __future__ import annotations

import getpass
import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ops import aws, secrets

ENV_PREFIX = "SECRET_"


class Command(BaseCommand):
    help = (
        "Create or update the four job secrets in SSM Parameter Store or Secrets Manager "
        "(values from a hidden prompt or SECRET_* env); the two alert secrets with --only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from-env",
            action="store_true",
            help="Read each value from SECRET_<VARIABLE> (e.g. SECRET_DATABASE_URL) instead of prompting; "
            "secrets whose variable is unset are skipped.",
        )
        parser.add_argument(
            "--only",
            action="append",
            default=[],
            choices=sorted(aws.SECRETS),
            help="Only this secret (repeatable). Default: the four every install needs; the alert webhooks' "
            "(alert-webhook-urls, alert-webhook-secret) only when named, with Terraform's alert_webhooks_enabled.",
        )
        parser.add_argument(
            "--backend",
            choices=aws.SECRETS_BACKENDS,
            default=None,
            help=f"ssm: SecureString parameters /<prefix>/<name>; secretsmanager: secrets <prefix>/<name> "
            f"(default SECRETS_BACKEND={settings.SECRETS_BACKEND}; match Terraform's secrets_backend).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be created or updated; write nothing."
        )

    def handle(self, *args, **options):
        wanted = options["only"] or [short for short in aws.SECRETS if short not in aws.OPTIONAL_SECRETS]
        backend = options["backend"] or settings.SECRETS_BACKEND
        interactive = not options["from_env"]
        if interactive and not sys.stdin.isatty():
            raise CommandError(
                "setup_secrets: no terminal to prompt on; use --from-env with SECRET_<VARIABLE> variables", returncode=2
            )
        counts: dict[str, int] = {}
        for short in wanted:
            variable = aws.SECRETS[short]
            name = aws.secret_location(short, backend=backend)
            if interactive:
                value = getpass.getpass(f"{name} ({variable}; empty keeps the current value): ")
            else:
                value = os.environ.get(ENV_PREFIX + variable, "")
            if not value:
                outcome = "skipped (no value given)"
            else:
                try:
                    outcome = secrets.value_put(
                        backend=backend, short_name=short, value=value, dry_run=options["dry_run"]
                    )
                except aws.AwsError as exc:
                    raise CommandError(str(exc), returncode=1) from None
            counts[outcome.split(" ")[0]] = counts.get(outcome.split(" ")[0], 0) + 1
            self.stdout.write(f"{name}: {outcome}")
        summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        self.stdout.write(
            self.style.SUCCESS(f"secrets: {summary}") if "skipped" not in counts else f"secrets: {summary}"
        )
