#!/usr/bin/env python
"""Django's command-line utility for Market Pulse (the jobs are management commands).

Two failures every command shares are answered here, once, instead of in each
command: bad configuration (`Configuration error: ...`, exit 2) and an
unreachable database (`Database unavailable: ...`, exit 1). One line on stderr,
no traceback (`--traceback` still shows it).
"""

import os
import sys


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


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

    from django.db.utils import InterfaceError, OperationalError

    try:
        execute_from_command_line(sys.argv)
    except (OperationalError, InterfaceError) as exc:
        if "--traceback" in sys.argv:
            raise
        # psycopg's error and Django's wrapper of it would print two tracebacks (~90 lines)
        # for what is one fact; CommandError keeps its own one-line path in Django.
        sys.stderr.write(f"Database unavailable: {_one_line(exc)}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
