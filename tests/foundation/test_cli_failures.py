"""Command-line failure paths (issue 13, D7 commands, D8).

A bad date or count on the command line is an argparse error (usage, one
`error:` line, exit 2); an unreachable database is one `Database unavailable:`
line and exit 1. Never a traceback.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from marketpulse import cli

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _manage(*args: str, **env_overrides: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "SENTIMENT_BACKEND": "vader",
            "REDDIT_CLIENT_ID": "x",
            "REDDIT_CLIENT_SECRET": "y",
        }
    )
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- The shared argparse types ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-01-02", datetime(2026, 1, 2, tzinfo=UTC)),
        ("2026-01-02T10:30", datetime(2026, 1, 2, 10, 30, tzinfo=UTC)),
        ("2026-01-02 10:30:15", datetime(2026, 1, 2, 10, 30, 15, tzinfo=UTC)),
        ("2026-01-02T10:30:00+02:00", datetime(2026, 1, 2, 8, 30, tzinfo=UTC)),
        ("2026-01-02T10:30:00Z", datetime(2026, 1, 2, 10, 30, tzinfo=UTC)),
        (" 2026-01-02 ", datetime(2026, 1, 2, tzinfo=UTC)),
    ],
)
def test_datetime_type_reads_dates_and_iso_datetimes_in_utc(raw, expected):
    value = cli.datetime_type(raw)
    assert value == expected and value.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "raw",
    [
        "yesterday",
        "2026-13-45",
        "2026-02-30T10:00",
        "2026-02-30",
        "",
        "0001-01-01T00:00:00+20:00",  # before datetime.min in UTC
        "9999-12-31T23:00:00-20:00",  # after datetime.max in UTC
        "2026-01-01\x00",
    ],
)
def test_datetime_type_rejects_bad_dates_with_an_argparse_error(raw):
    with pytest.raises(argparse.ArgumentTypeError, match="YYYY-MM-DD"):
        cli.datetime_type(raw)


@pytest.mark.parametrize(("raw", "expected"), [("1", 1), ("25", 25), (" 7 ", 7)])
def test_positive_int_accepts_whole_numbers_from_one(raw, expected):
    assert cli.positive_int(raw) == expected


@pytest.mark.parametrize("raw", ["0", "-5", "x", "1.5", "", "1e3", "99999999999999999999999"])
def test_positive_int_rejects_with_a_clear_message(raw):
    with pytest.raises(argparse.ArgumentTypeError, match="whole number"):
        cli.positive_int(raw)


def test_positive_float_and_duration():
    assert cli.positive_float("2.5") == 2.5
    for raw in ("0", "-1", "nan", "inf", "x"):
        with pytest.raises(argparse.ArgumentTypeError, match="number of seconds"):
            cli.positive_float(raw)
    assert cli.duration_type(" 15M ") == timedelta(minutes=15)
    assert cli.duration_type("2d") == timedelta(days=2)
    assert [cli.duration_text(cli.duration_type(t)) for t in ("2h", "90s", "120m", "3d")] == ["2h", "90s", "2h", "3d"]
    for raw in ("0h", "5x", "h", "-1h", ""):
        with pytest.raises(argparse.ArgumentTypeError, match="30m, 1h or 2d"):
            cli.duration_type(raw)


def test_the_type_functions_read_well_in_argparse_messages(capsys):
    parser = argparse.ArgumentParser(prog="cmd")
    parser.add_argument("--max-threads", type=cli.positive_int)
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args(["--max-threads", "-5"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --max-threads: must be a whole number of at least 1, not '-5'" in err
    assert "_positive" not in err and "invalid" not in err
    for func in (cli.datetime_type, cli.positive_int, cli.positive_float, cli.duration_type):
        assert not func.__name__.startswith("_")


# --- D8: bad dates and counts on the command line -------------------------------------------------


@pytest.mark.parametrize(
    ("args", "argument"),
    [
        (["scrape_reddit", "--since", "yesterday"], "--since"),
        (["scrape_reddit", "--mode", "backfill", "--until", "2026-02-30"], "--until"),
        (["scrape_reddit", "--max-threads", "-5"], "--max-threads"),
        (["scrape_reddit", "--budget", "lots"], "--budget"),
        (["refresh_rollups", "--since", "2026-13-45"], "--since"),
        (["refresh_rollups", "--since", "2026-02-30T10:00"], "--since"),
        (["refresh_rollups", "--since", "yesterday"], "--since"),
        (["analyze_sentiment", "--limit", "0"], "--limit"),
        (["daily_status", "--days", "-1"], "--days"),
        (["daily_status", "--top", "x"], "--top"),
        (["ecs", "run", "scraper", "--cpu", "-1024"], "--cpu"),
        (["ecs", "logs", "scraper", "--since", "5x"], "--since"),
        (["ecs", "logs", "scraper", "--poll", "0"], "--poll"),
    ],
)
def test_a_bad_date_or_count_is_a_one_line_argparse_error_with_exit_2(args, argument):
    result = _manage(*args)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and f"argument {argument}:" in errors[0], result.stderr
    assert "invalid _" not in result.stderr


# --- D7: the database is unreachable ------------------------------------------------------------

CLOSED_PORT_DB = "postgres://postgres@127.0.0.1:1/x"


@pytest.mark.parametrize(
    "args",
    [
        ["refresh_rollups"],
        ["refresh_rollups", "--since", "2026-01-01"],
        ["load_tickers"],
        ["daily_status"],
        ["analyze_sentiment"],
        ["export_reviews", "--format", "csv"],
        ["scrape_reddit", "--mode", "status"],
        ["migrate"],
    ],
)
def test_an_unreachable_database_is_one_line_and_exit_1(args):
    result = _manage(*args, DATABASE_URL=CLOSED_PORT_DB)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Database unavailable: ")
    assert "127.0.0.1" in lines[0] and "Traceback" not in result.stderr


def test_traceback_flag_still_shows_the_traceback():
    result = _manage("refresh_rollups", "--traceback", DATABASE_URL=CLOSED_PORT_DB)
    assert result.returncode == 1 and "Traceback" in result.stderr


def test_a_command_error_still_prints_once():
    result = _manage("scrape_reddit", "--mode", "backfill", DATABASE_URL=CLOSED_PORT_DB)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "CommandError: --mode backfill needs --since (and optionally --until)"
    ]
