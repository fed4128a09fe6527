"""The ticker chart and the numbers beside it come from the same stance counts (issue 30, item 4).

Two neutral TSLA mentions whose model scores lean slightly negative (-0.18) once drew a
red (bearish) bar and a "-0.18 (bearish)" net next to a split saying 0% bearish. Net
sentiment is now the net stance of the counts, (bullish - bearish) / scored, everywhere:
bar colour, line, the page's figures and the API.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from articles import charts
from articles.models import Article, Mention, Ticker
from articles.selectors import TimelinePoint
from articles.services import rollups_refresh


def _neutral_but_leaning_negative() -> Ticker:
    """TSLA with 2 mentions in the current hour, both neutral, model scores -0.18 each."""
    tsla = Ticker.objects.create(symbol="TSLA", name="Tesla, Inc.", exchange="NASDAQ")
    created = timezone.now().replace(second=0, microsecond=0)
    if created.minute > 0:
        created -= timedelta(minutes=1)
    for n in range(2):
        article = Article.objects.create(
            kind="comment",
            reddit_id=f"t1_cs{n}",
            subreddit="wallstreetbets",
            parent_post_id="t3_parent",
            body=f"TSLA holding flat {n}",
            author=f"user{n}",
            permalink=f"/r/wallstreetbets/comments/cs{n}/",
            score=1,
            created_utc=created,
            sentiment_label="neutral",
            sentiment_score=-0.18,
            sentiment_confidence=0.9,
            sentiment_model="test",
            scored_at=created,
        )
        Mention.objects.create(
            article=article,
            ticker=tsla,
            created_utc=created,
            matched_text="TSLA",
            stance="neutral",
            stance_score=-0.18,
            stance_model="test",
        )
    rollups_refresh()
    return tsla


def test_net_sentiment_is_the_net_stance_of_the_counts():
    start = timezone.now()
    neutral = TimelinePoint(start=start, mentions=2, scored=2, neutral=2, sentiment_sum=-0.36)
    assert neutral.sentiment == 0.0
    mixed = TimelinePoint(start=start, mentions=5, scored=4, positive=3, negative=1, sentiment_sum=-1.0)
    assert mixed.sentiment == 0.5  # (3 - 1) / 4, whatever the scores summed to
    assert TimelinePoint(start=start, mentions=3).sentiment is None
    chart = charts.timeline_chart([neutral, mixed], granularity="hour")
    assert [b.css for b in chart["bars"]] == ["neu", "pos"]


@pytest.mark.django_db
def test_page_bar_figures_and_api_agree_with_the_split(client):
    _neutral_but_leaning_negative()
    html = client.get("/t/TSLA/?range=24h").content.decode()
    bars = html.split('<svg class="chart"', 1)[1].split("</svg>", 1)[0]
    last_bar = bars.rsplit('<rect class="bar ', 1)[1]
    assert last_bar.startswith("neu"), last_bar[:80]
    assert "net sentiment +0.00" in last_bar
    assert "0% bearish" in html and "100% neutral" in html
    assert '<dd class="neu">+0.00 (neutral)</dd>' in html
    summary = client.get("/api/v1/tickers/TSLA?range=24h").json()
    assert summary["summary"]["sentiment"] == 0.0 and summary["summary"]["mood"] == "neutral"
    assert summary["timeline"][-1]["sentiment"] == 0.0
    board = client.get("/api/v1/tickers").json()
    assert board["results"][0]["sentiment"] == 0.0 and board["mood"]["label"] == "neutral"


@pytest.mark.browser
@pytest.mark.slow
def test_the_drawn_bar_has_the_colour_of_the_split_in_chromium(transactional_db, live_server, browser):
    _neutral_but_leaning_negative()
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    try:
        page = context.new_page()
        assert page.goto(live_server.url + "/t/TSLA/?range=24h").status == 200
        drawn = page.evaluate(
            """() => {
              const fill = el => el && getComputedStyle(el).fill;
              const bars = document.querySelectorAll('svg.chart rect.bar');
              return {
                last: fill(bars[bars.length - 1]),
                neutral: fill(document.querySelector('svg.split rect.neu')),
                bearish: fill(document.querySelector('svg.split rect.neg')),
                split: document.querySelector('.split-box p').innerText,
              };
            }"""
        )
    finally:
        context.close()
    assert drawn["bearish"] is None, "the split draws no bearish share"
    assert drawn["last"] == drawn["neutral"], drawn
    assert "0% bearish" in " ".join(drawn["split"].split())
