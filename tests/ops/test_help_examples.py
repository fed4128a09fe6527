"""Every command line the `ecs` and `run_pipeline` help texts suggest parses with the real
command's argparse parser (issue 30 item 6), and run_pipeline's help tells the schedules."""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Iterator

import pytest
from django.core.management import get_commands, load_command_class
from django.core.management.base import CommandError

from ops import aws
from ops.management.commands import run_pipeline

HELPED = ("ecs", "run_pipeline")
# A quoted example in an option's help is a value of that option; how each is checked.
QUOTED_VALUE = {
    "task_command": "a whole command line",  # ecs run --command "scrape_reddit ..."
    "import_options": "import_dump options",  # ecs run import-dump --import-options "..."
}
MANAGE_PY = re.compile(r"manage\.py ([a-z_]+)((?: [^|();,\"]+)?)")
DJANGO_OWN = {"settings", "pythonpath"}  # BaseCommand's options, examples of Python paths
QUOTED = re.compile(r'e\.g\. "([^"]+)"')


def parser_of(name: str) -> argparse.ArgumentParser:
    return load_command_class(get_commands()[name], name).create_parser("manage.py", name)


def parse(name: str, argv: list[str]) -> None:
    try:
        parser_of(name).parse_args(argv)
    except (CommandError, SystemExit) as exc:
        pytest.fail(f"`manage.py {name} {shlex.join(argv)}` does not parse: {exc}")


def helps(parser: argparse.ArgumentParser) -> Iterator[tuple[str | None, str]]:
    """(the option's dest or None, text) for every help text of the parser and its sub-parsers."""
    for text in (parser.description, parser.epilog):
        if text:
            yield None, text
    for action in parser._actions:
        if action.help and action.help is not argparse.SUPPRESS and action.dest not in DJANGO_OWN:
            yield action.dest, action.help
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                if choice.help:
                    yield None, choice.help
            for sub in action.choices.values():
                yield from helps(sub)


def examples() -> list[tuple[str, str, list[str]]]:
    """(where, command name, argv) for each suggested command line."""
    found = []
    for name in HELPED:
        parser = parser_of(name)
        for dest, text in helps(parser):
            text = " ".join(text.split())
            for command, rest in MANAGE_PY.findall(text):
                found.append((f"{name}: {text}", command, shlex.split(rest)))
            for value in QUOTED.findall(text):
                assert dest in QUOTED_VALUE, f"{name} {dest}: an example {value!r} nobody checks"
                argv = shlex.split(value)
                if dest == "task_command":
                    found.append((f"{name} --command", argv[0], argv[1:]))
                else:
                    found.append((f"{name} --import-options", "import_dump", ["s3://bucket/key", *argv]))
    return found


def test_the_help_texts_suggest_command_lines():
    commands = {command for _, command, _ in examples()}
    assert {"scrape_reddit", "import_dump", "ecs", "detect_surges"} <= commands


@pytest.mark.parametrize(("where", "command", "argv"), examples(), ids=lambda v: v if isinstance(v, str) else None)
def test_every_suggested_command_line_parses(where, command, argv):
    assert command in get_commands(), where
    parse(command, argv)


def test_parse_fails_on_a_bad_example():
    with pytest.raises(pytest.fail.Exception, match="--days"):
        parse("scrape_reddit", ["--mode", "backfill", "--days", "2"])


def test_run_pipeline_help_names_the_schedules_of_the_jobs_it_joins():
    help_text = run_pipeline.Command.help
    assert "the scheduled 15-minute task" not in help_text
    assert [name for name, _ in run_pipeline.STEPS] == ["scrape_reddit", "analyze_sentiment", "detect_surges"]
    assert aws.JOBS["scraper"].command.split()[0] == "scrape_reddit"
    assert aws.JOBS["sentiment"].command == "run_pipeline --skip scrape_reddit"  # scoring, then surges
    for job in ("scraper", "sentiment"):
        assert f"{job} ({aws.JOBS[job].schedule})" in help_text
