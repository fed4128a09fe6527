"""manage.py load_tickers: the bundled list, --from imports, --dry-run, errors, JobRun bookkeeping."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from articles import tickers
from articles.models import Ticker
from articles.tickers import BUNDLED_CSV, tickers_read
from marketpulse.models import JobRun


def run(*args: str, verbosity: int = 1) -> str:
    out = StringIO()
    call_command("load_tickers", *args, stdout=out, verbosity=verbosity)
    return out.getvalue()


@pytest.fixture(scope="module")
def bundled_count() -> int:
    return len(tickers_read(BUNDLED_CSV).rows)


@pytest.mark.django_db
def test_no_arguments_loads_the_bundled_list_and_records_the_run(bundled_count):
    output = run()
    assert Ticker.objects.count() == bundled_count >= 600
    assert f"created {bundled_count}, updated 0, unchanged 0" in output
    job = JobRun.objects.get(command="load_tickers")
    assert job.status == JobRun.Status.SUCCEEDED
    assert job.counters["created"] == bundled_count and job.counters["rows"] == bundled_count
    assert job.arguments["dry_run"] is False


@pytest.mark.django_db
def test_running_twice_changes_nothing(bundled_count, django_assert_max_num_queries):
    run()
    before = list(
        Ticker.objects.order_by("symbol").values_list("symbol", "name", "exchange", "is_etf", "aliases", "updated_at")
    )
    # A second run reads the table once; the rest is JobRun bookkeeping (create, finish).
    with django_assert_max_num_queries(8):
        output = run()
    assert f"created 0, updated 0, unchanged {bundled_count}" in output
    after = list(
        Ticker.objects.order_by("symbol").values_list("symbol", "name", "exchange", "is_etf", "aliases", "updated_at")
    )
    assert after == before
    last = JobRun.objects.filter(command="load_tickers").order_by("-pk").first()
    assert (last.counters["created"], last.counters["updated"], last.counters["unchanged"]) == (0, 0, bundled_count)


@pytest.mark.django_db
def test_reload_keeps_the_never_link_flag():
    run()
    Ticker.objects.filter(symbol__in=["YOLO", "DD", "IT", "ON", "ALL"]).update(is_active=False)
    Ticker.objects.filter(symbol="DD").update(name="renamed by hand")  # so the reload really updates DD
    output = run()
    assert "updated 1," in output
    assert set(Ticker.objects.filter(is_active=False).values_list("symbol", flat=True)) == {
        "YOLO",
        "DD",
        "IT",
        "ON",
        "ALL",
    }
    assert Ticker.objects.get(symbol="DD").name == "DuPont de Nemours"


@pytest.mark.django_db
def test_from_nasdaq_files_together(fixture_path):
    output = run("--from", str(fixture_path("nasdaqlisted.txt")), "--from", str(fixture_path("otherlisted.txt")))
    assert "nasdaqlisted, 8 tickers (skipped 2 test issue)" in output
    assert "otherlisted, 7 tickers (skipped 1 invalid symbol, 1 test issue)" in output
    assert "created 15," in output and "skipped 4" in output
    assert Ticker.objects.get(symbol="UVXY").exchange == "CBOE"
    assert Ticker.objects.get(symbol="QQQ").is_etf is True
    assert not Ticker.objects.filter(symbol__in=["ZVZZT", "NTEST"]).exists()
    assert "created 0, updated 0, unchanged 15" in run(
        "--from", str(fixture_path("nasdaqlisted.txt")), "--from", str(fixture_path("otherlisted.txt"))
    )


@pytest.mark.django_db
def test_from_sec_json_after_the_bundled_list(fixture_path):
    run()
    aliases_before = Ticker.objects.get(symbol="TSLA").aliases
    output = run("--from", str(fixture_path("company_tickers.json")))
    assert "sec-json, 15 tickers (skipped 1 invalid symbol)" in output
    assert "duplicates 1" in output
    tsla = Ticker.objects.get(symbol="TSLA")
    # SEC gives a name: it replaces ours; it has no exchange, ETF flag or aliases: those stay.
    assert (tsla.name, tsla.exchange, tsla.aliases) == ("Tesla, Inc.", "NASDAQ", aliases_before)
    assert Ticker.objects.get(symbol="BAC-PL").name == "BANK OF AMERICA CORP /DE/"


@pytest.mark.django_db
def test_only_new_keeps_curated_names(fixture_path):
    run()
    output = run("--only-new", "--from", str(fixture_path("company_tickers.json")))
    assert "created 1, updated 0" in output  # BAC-PL is the only symbol not in the bundled list
    assert Ticker.objects.get(symbol="TSLA").name == "Tesla Inc."


@pytest.mark.django_db
def test_dry_run_lists_changes_and_writes_nothing(fixture_path):
    output = run("--dry-run", "--from", str(fixture_path("nasdaqlisted.txt")))
    assert Ticker.objects.count() == 0
    assert "+ AAPL name='Apple Inc.' exchange='NASDAQ'" in output
    assert "dry run, nothing written" in output and "would create 8" in output
    assert not JobRun.objects.filter(command="load_tickers").exists()  # a dry run writes no JobRun either

    run("--from", str(fixture_path("nasdaqlisted.txt")))
    Ticker.objects.filter(symbol="AAPL").update(name="Apple")
    output = run("--dry-run", "--from", str(fixture_path("nasdaqlisted.txt")))
    assert "~ AAPL name: 'Apple' -> 'Apple Inc.'" in output
    assert "would update 1" in output
    assert Ticker.objects.get(symbol="AAPL").name == "Apple"


@pytest.mark.django_db
def test_dry_run_list_is_capped_at_verbosity_1(bundled_count):
    output = run("--dry-run")
    assert output.count("\n+ ") == 50
    assert f"... and {bundled_count - 50} more" in output
    assert run("--dry-run", verbosity=2).count("\n+ ") == bundled_count


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "/nonexistent/tickers.csv"], "/nonexistent/tickers.csv: no such file"),
        (["--from", "{bad}"], "unknown ticker file format"),
        (["--format", "sec-json", "--from", "{nasdaq}"], "not valid JSON"),
        (["--from", "{only_tests}"], "no tickers found"),
    ],
)
def test_errors_are_command_errors_and_failed_runs(args, message, write_file, fixture_path):
    paths = {
        "bad": write_file("notes.txt", "buy high, sell low\n"),
        "nasdaq": fixture_path("nasdaqlisted.txt"),
        "only_tests": write_file(
            "nasdaqlisted.txt",
            "Symbol|Security Name|Market Category|Test Issue|Financial Status|Round Lot Size|ETF|NextShares\n"
            "ZVZZT|NASDAQ TEST STOCK|G|Y|N|100|N|N\nFile Creation Time: 1128202617:02|||||||\n",
        ),
    }
    args = [arg.format(**paths) for arg in args]
    with pytest.raises(CommandError) as info:
        run(*args)
    assert info.value.returncode == 2
    assert message in str(info.value)
    job = JobRun.objects.get(command="load_tickers")
    assert job.status == JobRun.Status.FAILED and message in job.error
    assert Ticker.objects.count() == 0


def test_subprocess_loads_then_fails_cleanly(subprocess_env, manage_py, write_file, bundled_count):
    """Through a real `manage.py` process: success exits 0; a bad file exits 2 with one clear line."""
    ok = subprocess.run(
        [*manage_py, "load_tickers"], env=subprocess_env, capture_output=True, text=True, timeout=120, check=False
    )
    assert ok.returncode == 0, ok.stderr
    assert f"created {bundled_count}," in ok.stdout
    assert Ticker.objects.count() == bundled_count

    bad = write_file("garbage.bin", b"\x00\x01\x02garbage")
    failed = subprocess.run(
        [*manage_py, "load_tickers", "--from", str(bad)],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert failed.returncode == 2
    assert "Traceback" not in failed.stderr
    lines = [line for line in failed.stderr.splitlines() if line.strip()]
    assert lines == [f"CommandError: load_tickers: {bad}: binary data, not a text ticker list"]

    unknown = subprocess.run(
        [*manage_py, "load_tickers", "--format", "xml"],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert unknown.returncode == 2 and "invalid choice: 'xml'" in unknown.stderr


KILL_DRIVER = """
import os, signal, sys
import django
django.setup()
from django.core.management import call_command
from django.db import connection

inserts = 0

def kill_on_second_insert(execute, sql, params, many, context):
    global inserts
    if sql.lstrip().upper().startswith('INSERT INTO "ARTICLES_TICKER"'):
        inserts += 1
        if inserts == 2:  # the first batch is already sent: die like an OOM kill or a Spot reclaim
            os.kill(os.getpid(), signal.SIGKILL)
    return execute(sql, params, many, context)

with connection.execute_wrapper(kill_on_second_insert):
    call_command("load_tickers")
"""


def test_killed_mid_load_writes_nothing_and_a_rerun_completes(subprocess_env, bundled_count):
    """SIGKILL between two insert batches: the transaction never commits; the next run loads everything."""
    assert bundled_count > 500  # more than one batch, so the kill lands between batches
    env = {**subprocess_env, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    killed = subprocess.run(
        [sys.executable, "-c", KILL_DRIVER], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert Ticker.objects.count() == 0
    # The killed run could not record its end: its JobRun row stays "running" (what operators see).
    assert list(JobRun.objects.filter(command="load_tickers").values_list("status", flat=True)) == ["running"]

    call_command("load_tickers", verbosity=0)
    assert Ticker.objects.count() == bundled_count
    assert JobRun.objects.filter(command="load_tickers", status=JobRun.Status.SUCCEEDED).count() == 1


@pytest.mark.django_db
def test_sigterm_while_reading_writes_nothing_and_marks_the_run_interrupted(monkeypatch):
    real_read = tickers.tickers_read

    def read_then_sigterm(*args, **kwargs):
        result = real_read(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)  # what ECS sends; job_run's handler only sets the stop flag
        return result

    monkeypatch.setattr(tickers, "tickers_read", read_then_sigterm)
    err = StringIO()
    with pytest.raises(CommandError) as info:
        call_command("load_tickers", stdout=StringIO(), stderr=err)
    assert info.value.returncode == 143  # 128 + SIGTERM
    assert "stop requested before writing; nothing was changed" in err.getvalue()
    assert Ticker.objects.count() == 0
    job = JobRun.objects.get(command="load_tickers")
    assert job.status == JobRun.Status.INTERRUPTED and job.error == "stopped by SIGTERM"
