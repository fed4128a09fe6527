"""manage.py daily_status: the report's figures, and exit 1 when the scraper is stale."""

from __future__ import annotations

import io
import subprocess
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from articles.models import Article, Mention, Ticker
from articles.services import rollups_refresh
from marketpulse.models import JobRun
from tests.conftest import stance_from_article


def make_run(command: str, status: str, *, minutes_ago: float, took: float = 30, error: str = "") -> JobRun:
    started = timezone.now() - timedelta(minutes=minutes_ago)
    return JobRun.objects.create(
        command=command,
        started_at=started,
        finished_at=None if status == "running" else started + timedelta(seconds=took),
        status=status,
        error=error,
    )


@pytest.fixture
def data(db):
    now = timezone.now()
    gme = Ticker.objects.create(symbol="GME", name="GameStop")
    tsla = Ticker.objects.create(symbol="TSLA", name="Tesla")
    Ticker.objects.create(symbol="AAPL", name="Apple")
    articles = []

    def article(rid, kind, sub, hours_ago, scored=None, tickers=()):
        created = now - timedelta(hours=hours_ago)
        fields = {}
        if scored:
            fields = {
                "sentiment_label": scored,
                "sentiment_score": {"positive": 0.8, "negative": -0.6, "neutral": 0.0}[scored],
                "sentiment_confidence": 0.9,
                "sentiment_model": "vader",
                "scored_at": now,
            }
        a = Article.objects.create(
            kind=kind,
            reddit_id=rid,
            subreddit=sub,
            parent_post_id="" if kind == "post" else "t3_p1",
            title="t" if kind == "post" else "",
            body="b",
            author="u",
            created_utc=created,
            **fields,
        )
        for t in tickers:
            Mention.objects.create(
                article=a, ticker=t, created_utc=created, matched_text=t.symbol, **stance_from_article(a)
            )
        articles.append(a)
        return a

    article("t3_p1", "post", "wallstreetbets", 1, "positive", [gme])
    article("t1_c1", "comment", "wallstreetbets", 1, "positive", [gme])
    article("t1_c2", "comment", "wallstreetbets", 2, "negative", [gme, tsla])
    article("t1_c3", "comment", "wallstreetbets", 2, None, [tsla])
    article("t3_p2", "post", "stocks", 3, None, [gme])
    article("t3_p3", "post", "wallstreetbets", 30, "neutral", [tsla])  # yesterday-ish, outside the 24h window
    article("t3_old", "post", "wallstreetbets", 24 * 9, "neutral", [tsla])  # outside the 7 days
    Article.objects.filter(reddit_id="t1_c3").update(first_seen_at=now - timedelta(hours=5))
    rollups_refresh()
    return {"now": now}


def report(*args, expect_exit=0):
    out = io.StringIO()
    if expect_exit:
        with pytest.raises(CommandError) as excinfo:
            call_command("daily_status", *args, stdout=out, stderr=io.StringIO())
        assert excinfo.value.returncode == expect_exit
        return out.getvalue(), str(excinfo.value)
    call_command("daily_status", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue(), ""


def section(text: str, title: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start + 1 : end]


def test_never_succeeded_exits_1_after_the_full_report(data, settings):
    make_run("scrape_reddit", "failed", minutes_ago=20, error="CommandError: Reddit answered 429\nmore detail")
    out, error = report(expect_exit=1)
    assert "scrape_reddit has never succeeded" in error
    # the report was printed in full first
    for title in ("Articles per day", "Sentiment", "Jobs (latest run of each)", "Top tickers", "Warnings"):
        assert title in out
    assert "! STALE: scrape_reddit has never succeeded" in out
    assert "! scrape_reddit: last run failed: CommandError: Reddit answered 429" in out
    assert "more detail" not in out
    row = JobRun.objects.filter(command="daily_status").get()
    assert row.status == "failed" and row.counters["scraper_stale"] is True


def test_fresh_scraper_exits_0_with_the_right_figures(data, settings):
    settings.STALE_AFTER_MINUTES = 60
    make_run("scrape_reddit", "succeeded", minutes_ago=400)
    make_run("scrape_reddit", "succeeded", minutes_ago=10, took=0)
    make_run("analyze_sentiment", "succeeded", minutes_ago=300)
    make_run("analyze_sentiment", "failed", minutes_ago=5, error="RuntimeError: out of memory")
    out, _ = report()
    now = data["now"]

    days = section(out, "Articles per day")
    assert days[0].split() == ["day", "subreddit", "posts", "comments"]
    rows = [line.split() for line in days[1:]]
    assert len([r for r in rows if r[0] != "total"]) >= 7  # every day shown, even empty ones
    today = now.date().isoformat()
    # 1 hour and 2 hours ago are today unless the test runs just after midnight UTC
    if (now - timedelta(hours=3)).date() == now.date():
        assert [today, "r/wallstreetbets", "1", "3"] in rows
        assert [today, "r/stocks", "1", "0"] in rows
    assert rows[-1] == ["total", "3", "3"]  # the 9-day-old post is outside the window
    assert not any("t3_old" in line for line in days)

    sentiment = section(out, "Sentiment")
    assert "scored 5 of 7 (71.4%); unscored backlog 2" in sentiment[0]
    assert "oldest unscored first seen" in sentiment[1] and "5 h ago" in sentiment[1]

    jobs = {line.split()[0]: line for line in section(out, "Jobs (latest run of each)")[1:]}
    assert set(jobs) == {"scrape_reddit", "analyze_sentiment"}
    assert jobs["scrape_reddit"].split()[1] == "succeeded"
    assert jobs["scrape_reddit"].split()[-1] == "2/0"
    assert jobs["analyze_sentiment"].split()[1] == "failed"
    assert jobs["analyze_sentiment"].split()[-1] == "2/1"

    top = [line.split() for line in section(out, "Top tickers")[1:]]
    # GME: p1 (+), c1 (+), c2 (-), p2 (unscored) = 4 mentions, 3 scored; TSLA: c2 (-), c3 = 2 (p3 is 30 h old)
    assert top[0] == ["GME", "4", "2", "2", "2", "1", "0", f"{(0.8 + 0.8 - 0.6) / 3:+.2f}"]
    assert top[1][:2] == ["TSLA", "2"]
    assert len(top) == 2  # AAPL has no mentions

    assert "Scraper fresh: last success 10 min ago" in out
    assert "! analyze_sentiment: last run failed: RuntimeError: out of memory" in out
    assert "! sentiment backlog: 2 unscored" in out
    assert "STALE" not in out
    assert JobRun.objects.get(command="daily_status").status == "succeeded"


def test_rejected_items_and_skipped_threads_of_the_last_scrape(data, settings):
    """Issue 13: what the last scrape refused at the edge, by reason, and the threads it skipped."""
    settings.STALE_AFTER_MINUTES = 60
    run = make_run("scrape_reddit", "succeeded", minutes_ago=10, took=0)
    run.counters = {"rejected": {"created_utc_invalid": 2, "created_in_future": 5}, "threads_skipped": 1}
    run.save()
    out, _ = report()
    assert "scrape_reddit last run: 7 items rejected (created_in_future 5, created_utc_invalid 2)" in out
    assert "! scrape_reddit: last run skipped 1 thread(s)" in out
    row = JobRun.objects.get(command="daily_status")
    assert row.counters["items_rejected"] == 7


def test_stale_scraper_exits_1(data, settings):
    settings.STALE_AFTER_MINUTES = 60
    make_run("scrape_reddit", "succeeded", minutes_ago=95, took=0)
    make_run("scrape_reddit", "running", minutes_ago=200)  # killed long ago, never finished
    out, error = report(expect_exit=1)
    assert "last success 95 min ago, more than STALE_AFTER_MINUTES=60" in error
    assert "! STALE: scrape_reddit last succeeded 95 min ago" in out
    assert "! scrape_reddit #" in out and "running since" in out


def test_stale_after_is_a_setting(data, settings):
    make_run("scrape_reddit", "succeeded", minutes_ago=95, took=0)
    settings.STALE_AFTER_MINUTES = 120
    report()


def test_empty_database(db):
    out, error = report("--days", "3", "--top", "5", expect_exit=1)
    assert "(no job has run yet)" in out
    assert "(no mentions in the last 24 hours)" in out
    assert "scored 0 of 0 (-)" in out
    assert len(section(out, "Articles per day")) == 1 + 3 + 1


def test_query_count_does_not_grow_with_data(data, django_assert_max_num_queries):
    for i in range(30):
        make_run(f"job_{i}", "succeeded", minutes_ago=10 + i)
    make_run("scrape_reddit", "succeeded", minutes_ago=10, took=0)
    # report reads + the JobRun bookkeeping (create, finish) and savepoints
    with django_assert_max_num_queries(14):
        report()


def test_exit_code_of_a_real_process(transactional_db, subprocess_env, manage_py):
    proc = subprocess.run([*manage_py, "daily_status"], env=subprocess_env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "Articles per day" in proc.stdout
    assert (
        proc.stderr.strip().splitlines()[-1] == "CommandError: scraper data is stale: scrape_reddit has never succeeded"
    )
    make = JobRun.objects.create(
        command="scrape_reddit", started_at=timezone.now(), finished_at=timezone.now(), status="succeeded"
    )
    assert make.pk
    proc = subprocess.run([*manage_py, "daily_status"], env=subprocess_env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Scraper fresh" in proc.stdout


def test_the_warning_rules_are_a_selector(data, settings):
    """ops.selectors.daily_status_warnings decides, ops.report renders: the rules without the command."""
    from ops.report import daily_status_lines
    from ops.selectors import daily_status_get, daily_status_warnings, last_scrape_rejected

    settings.STALE_AFTER_MINUTES = 60
    scrape = make_run("scrape_reddit", "interrupted", minutes_ago=90, took=0, error="stopped by SIGTERM")
    scrape.counters = {"rejected": {"created_in_future": 3}, "threads_skipped": 2}
    scrape.save()
    make_run("analyze_sentiment", "succeeded", minutes_ago=200, took=0)
    status = daily_status_get(days=7, top=5)
    warnings = daily_status_warnings(status)
    assert [w.split(":")[0] for w in warnings] == [
        "STALE",
        "sentiment backlog",
        "scrape_reddit",  # interrupted
        "scrape_reddit",  # skipped threads
        "analyze_sentiment",
    ]
    assert warnings[0] == "STALE: scrape_reddit has never succeeded"
    assert last_scrape_rejected(status) == {"created_in_future": 3}
    lines = daily_status_lines(status, days=7, warnings=warnings, rejected={"created_in_future": 3})
    assert lines[-len(warnings) :] == [f"  ! {w}" for w in warnings]
    assert "  scrape_reddit last run: 3 items rejected (created_in_future 3)" in lines
