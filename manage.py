#!/usr/bin/env python
"""Django's command-line utility for Market Pulse (the jobs are management commands)."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketpulse.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        from django.conf import settings

        settings.INSTALLED_APPS  # noqa: B018 - force the settings to load here, not mid-command
    except ImproperlyConfigured as exc:
        # Bad configuration is the operator's to fix: one clear line, no traceback.
        sys.stderr.write(f"Configuration error: {exc}\n")
        sys.exit(2)
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
