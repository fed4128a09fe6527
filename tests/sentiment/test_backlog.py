"""One backlog (issue 30 item 5): `scrape_reddit --mode status`, `analyze_sentiment`,
`daily_status` and /api/v1/status count the same articles, `articles.selectors`'
backlog: unscored and not removed. Removed rows ([deleted]/[removed]) are never scored,
so they are never backlog."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from articles.models import Article

from .conftest import make_articles

pytestmark = pytest.mark.django_db


def _run(name: str, *args) -> str:
    out = StringIO()
    try:
        call_command(name, *args, stdout=out, stderr=StringIO())
    except CommandError:  # daily_status exits 1 here (no scrape ever succeeded), after its report
        pass
    return out.getvalue()


def backlogs(client) -> dict[str, int]:
    """The backlog as each of the four reports it."""
    scrape = re.search(r"Backlog: (\d+) of \d+ articles not scored yet", _run("scrape_reddit", "--mode", "status"))
    daily = re.search(r"unscored backlog (\d+)", _run("daily_status"))
    api = client.get("/api/v1/status").json()["backlog"]
    return {"scrape_reddit": int(scrape.group(1)), "daily_status": int(daily.group(1)), "api": int(api)}


def test_the_four_agree_with_removed_rows_present(client, ticker):
    scored = make_articles(20, ticker=ticker)
    Article.objects.filter(pk__in=[a.pk for a in scored]).update(
        scored_at=timezone.now(), sentiment_label="neutral", sentiment_score=0.0
    )
    make_articles(10, body="[removed]", is_removed=True)  # unscored, and never scorable
    make_articles(3, ticker=ticker)  # the real backlog

    assert backlogs(client) == {"scrape_reddit": 3, "daily_status": 3, "api": 3}

    out = _run("analyze_sentiment", "--model", "vader")
    assert re.search(r"scored 3 .* backlog 0$", out.strip()), out
    assert backlogs(client) == {"scrape_reddit": 0, "daily_status": 0, "api": 0}

    again = _run("analyze_sentiment", "--model", "vader")  # nothing left: the short-circuit's figure
    assert "nothing to score" in again and again.strip().endswith("backlog 0"), again
    assert Article.objects.filter(scored_at__isnull=True).count() == 10  # the removed rows stay unscored
