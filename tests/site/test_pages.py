"""The public pages: content, parameters, query bounds, hostile text, headers, caching."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import TickerHourly
from marketpulse.models import JobRun

from .conftest import XSS_TITLE, build_site_data, make_article

MAX_QUERIES = 10
PAGES = [
    "/",
    "/?window=7d",
    "/?window=30d&etfs=0",
    "/?page=2",
    "/t/TSLA/",
    "/t/TSLA/?range=24h&sort=top",
    "/t/TSLA/?range=30d&label=positive&kind=post",
    "/t/TSLA/?range=90d",
    "/t/NOPE/",
    "/tickers/",
    "/tickers/?q=ts",
]


def _rows(html: str) -> list[str]:
    """Ticker symbols in the leaderboard, in order."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<th scope="row"><a href="/t/([A-Z0-9.\-]+)/">', body)


@pytest.mark.parametrize("url", PAGES)
def test_every_page_stays_within_the_query_budget(client, site_data, django_assert_max_num_queries, url):
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(url)
    assert response.status_code in (200, 404)


def test_home_ranks_tickers_with_rank_change_sparklines_and_mood(client, site_data):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert _rows(html) == ["TSLA", "SPY", "GME"]  # AAPL/NVDA: no mentions in the last 24h
    tbody = html.split("<tbody>", 1)[1]
    first_row = tbody.split("</tr>", 1)[0]
    assert "\u25b21" in first_row  # TSLA climbed from #2 to #1
    assert ">30<" in first_row  # mentions
    assert "+500%" in first_row  # 30 vs 5 in the previous 24h
    gme_row = tbody.split("</tr>")[2]
    assert "\u25bc2" in gme_row  # GME fell from #1 to #3
    # 24-bar sparkline per row, with an accessible title.
    assert html.count('<svg class="spark"') == 3
    spark = html.split('<svg class="spark"', 1)[1].split("</svg>", 1)[0]
    assert spark.count("<rect") == 24
    assert "<title" in spark and "TSLA: mentions per hour" in spark
    assert "Market mood:" in html and 'id="mood-split"' in html
    assert "Last refreshed" in html
    assert "Data may be stale" not in html


def test_home_etf_toggle_and_windows(client, site_data):
    html = client.get("/?etfs=0").content.decode()
    assert _rows(html) == ["TSLA", "GME"]
    assert "Show ETFs" in html
    html7 = client.get("/?window=7d").content.decode()
    assert _rows(html7)[:1] == ["TSLA"] and "AAPL" in _rows(html7)  # AAPL's mentions were 3 days ago
    assert 'aria-current="page" class="current">7d<' in html7


def test_home_reads_the_rollups_not_raw_articles(client, site_data):
    TickerHourly.objects.all().delete()
    html = client.get("/").content.decode()
    assert "No mentions in the last 24h" in html


@pytest.mark.parametrize(
    "url",
    [
        "/?window=1y",
        "/?page=0",
        "/?page=abc",
        "/?etfs=maybe",
        "/t/TSLA/?range=2d",
        "/t/TSLA/?sort=old",
        "/t/TSLA/?label=bullish",
        "/t/TSLA/?kind=video",
        "/t/TSLA/?cursor=not-a-cursor",
        "/tickers/?q=" + "x" * 101,
    ],
)
def test_bad_parameters_get_a_400_page(client, site_data, url):
    response = client.get(url)
    assert response.status_code == 400
    assert b"Bad request" in response.content


def test_stale_notice_when_the_scraper_has_not_succeeded_lately(client, db, settings):
    build_site_data(fresh=False)
    html = client.get("/").content.decode()
    assert "the scraper has never finished successfully" in html
    now = timezone.now()
    JobRun.objects.create(
        command="scrape_reddit",
        status="succeeded",
        started_at=now - timedelta(hours=3),
        finished_at=now - timedelta(hours=3) + timedelta(minutes=1),
    )
    JobRun.objects.create(
        command="scrape_reddit",
        status="failed",
        started_at=now - timedelta(minutes=5),
        finished_at=now - timedelta(minutes=4),
    )
    settings.STALE_AFTER_MINUTES = 60
    html = client.get("/").content.decode()
    assert "Data may be stale: the scraper last succeeded 179 minutes ago" in html


def test_ticker_page_chart_split_and_articles(client, site_data):
    response = client.get("/t/TSLA/")
    assert response.status_code == 200
    html = response.content.decode()
    chart = html.split('<svg class="chart"', 1)[1].split("</svg>", 1)[0]
    assert '<title id="timeline-title">TSLA: mentions per hour and net sentiment, last 7d</title>' in chart
    assert chart.count('<rect class="bar') == 168  # hourly over 7 days
    assert "<polyline" in chart
    assert 'id="label-split"' in html
    assert html.count('<li class="article">') == 25  # first page
    assert 'href="https://www.reddit.com/r/wallstreetbets/comments/' in html
    assert "Older &rarr;" in html
    daily = client.get("/t/TSLA/?range=90d").content.decode()
    assert daily.split('<svg class="chart"', 1)[1].split("</svg>", 1)[0].count('<rect class="bar') == 90


def test_ticker_articles_cursor_walks_every_article_once(client, site_data):
    seen: list[str] = []
    url = "/t/TSLA/"
    for _ in range(5):
        html = client.get(url).content.decode()
        seen += re.findall(r"comments/(s\d+)/", html)
        nxt = re.search(r'href="(\?[^"]*cursor=[^"]+)" rel="next"', html)
        if not nxt:
            break
        url = "/t/TSLA/" + nxt.group(1).replace("&amp;", "&")
    tsla = [a.reddit_id[3:] for a in site_data.articles if any(m.ticker.symbol == "TSLA" for m in a.mentions.all())]
    assert sorted(seen) == sorted(tsla) and len(seen) == len(set(seen)) == 36


def test_ticker_filters_by_label_and_kind(client, site_data):
    html = client.get("/t/TSLA/?label=negative&kind=post").content.decode()
    tags = re.findall(r'<span class="tag (\w+)">', html.split('<ol class="article-list">', 1)[1])
    # Each article shows its stance on this ticker; ?label=negative means bearish on it.
    assert tags and set(tags) == {"bearish"}
    assert "comment in r/" not in html
    # The filter links name the stance they filter on and keep the API's label= values.
    filters = html.split('aria-label="Article filters"', 1)[1].split("</nav>", 1)[0]
    assert "<span>Stance:</span>" in filters and "Label:" not in filters
    links = re.findall(r'<a href="([^"]*)"( aria-current="true" class="current")?>(\w+)</a>', filters)
    stance_links = {name: (href.replace("&amp;", "&"), bool(current)) for href, current, name in links}
    assert stance_links["bearish"] == ("?label=negative&kind=post", True)
    assert stance_links["bullish"][0] == "?label=positive&kind=post"
    assert stance_links["neutral"][0] == "?label=neutral&kind=post"
    assert "positive" not in {name for _, _, name in links}
    # A reviewer's stance wins over the model's.
    html = client.get("/t/AAPL/?label=positive").content.decode()
    assert "bullish (reviewed)" in html


def test_ticker_top_sort_orders_by_upvotes(client, site_data):
    html = client.get("/t/TSLA/?sort=top&range=24h").content.decode()
    ups = [int(x) for x in re.findall(r"(\d+) upvotes</p>", html)]
    assert ups == sorted(ups, reverse=True) and ups[0] == 84


def test_unknown_ticker_is_a_404_page_and_lowercase_redirects(client, site_data):
    response = client.get("/t/NOPE/")
    assert response.status_code == 404
    assert b"Unknown ticker" in response.content
    assert client.get("/t/%3Cscript%3E/").status_code == 404
    response = client.get("/t/tsla/")
    assert response.status_code == 301 and response["Location"] == "/t/TSLA/"


def test_ticker_search_by_symbol_and_name(client, site_data):
    html = client.get("/tickers/?q=ts").content.decode()
    assert "/t/TSLA/" in html and "/t/GME/" not in html
    html = client.get("/tickers/?q=gamestop").content.decode()
    assert "/t/GME/" in html
    html = client.get("/tickers/?q=zzzz").content.decode()
    assert "No ticker matches" in html
    assert client.get("/tickers/?q=%00").status_code == 400


def test_ticker_search_ranks_exact_symbol_then_symbol_prefix_then_names(db):
    """`q=T` lists T, then TSLA and TT before the 150 companies with a "t" in their name."""
    from articles.models import Ticker
    from articles.selectors import ticker_search

    Ticker.objects.bulk_create([Ticker(symbol=f"A{i:03d}", name=f"Atlantic Trust {i}") for i in range(150)])
    Ticker.objects.bulk_create(
        [
            Ticker(symbol="TSLA", name="Tesla Inc."),
            Ticker(symbol="TT", name="Trane Technologies"),
            Ticker(symbol="T", name="AT&T Inc."),
            Ticker(symbol="ZZT", name="Tango Holdings"),  # a name starting with T
            Ticker(symbol="ZZW", name="Western Tankers"),  # a word starting with T
            Ticker(symbol="ZZX", name="Outset Medical"),  # "t" inside a word only
        ]
    )
    found = [t.symbol for t in ticker_search(q="T", limit=100)]
    assert found[:3] == ["T", "TT", "TSLA"]
    assert found[3] == "ZZT" and found.index("ZZW") < found.index("A000")
    assert "ZZX" not in found  # past the limit: 150 names with a word starting with "t" rank first
    assert [t.symbol for t in ticker_search(q="tesla")] == ["TSLA"]
    assert [t.symbol for t in ticker_search(q="outset")][0] == "ZZX"


def test_hostile_titles_are_escaped_and_no_inline_script_or_style(client, site_data):
    html = client.get("/t/TSLA/").content.decode()
    assert XSS_TITLE not in html
    assert "&lt;script&gt;window.__xss=1" in html
    assert "<img src=x" not in html and "<svg onload" not in html
    assert 'href="javascript:' not in html
    for url in ("/", "/t/TSLA/", "/tickers/?q=t", "/t/NOPE/"):
        page = client.get(url).content.decode()
        assert "<script" not in page, url
        assert " style=" not in page, url


def test_security_headers(client, site_data):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "'self'" in script_src and "unsafe-inline" not in script_src
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_hsts_is_sent_over_https_when_configured(client, site_data, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=3600")


@pytest.mark.parametrize("url", ["/", "/t/TSLA/", "/tickers/?q=t", "/api/v1/tickers", "/api/v1/status"])
def test_cache_control_etag_and_conditional_get(client, site_data, url):
    response = client.get(url)
    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    if url.startswith("/api/"):
        assert "public" in cache_control and "max-age=60" in cache_control
    else:  # pages revalidate on every load so corrections show at once; the ETag makes that a 304
        assert "public" in cache_control and "max-age=0" in cache_control and "must-revalidate" in cache_control
    etag = response["ETag"]
    assert etag.startswith(('"', 'W/"'))
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    other = client.get(url, HTTP_IF_NONE_MATCH='"something-else"')
    assert other.status_code == 200


def test_etag_changes_when_the_data_changes(client, site_data):
    before = client.get("/")["ETag"]
    make_article(999, created=timezone.now() - timedelta(minutes=1), tickers=[site_data.tickers["NVDA"]])
    from articles.services import rollups_refresh

    rollups_refresh(ticker_ids=[site_data.tickers["NVDA"].pk])
    after = client.get("/")
    assert after["ETag"] != before
    assert client.get("/", HTTP_IF_NONE_MATCH=before).status_code == 200


def test_health_and_admin_are_not_publicly_cached(client, site_data, settings):
    assert "public" not in client.get("/health").get("Cache-Control", "")
    response = client.get("/" + settings.ADMIN_URL + "login/")
    assert response.status_code == 200
    assert "public" not in response.get("Cache-Control", "")
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_empty_database_pages_render(client, db):
    assert client.get("/").status_code == 200
    assert b"No mentions" in client.get("/").content
    assert client.get("/tickers/").status_code == 200


def test_cached_pages_change_as_soon_as_the_rollups_do(client, site_data):
    """The leaderboard and timeline caches are keyed on the newest rollup write: a review shows at once."""
    from articles.review import review_mark

    def tsla_split(html):
        return re.search(r"<span class=\"pos\">(\d+)% bullish</span>", html).group(1)

    def tsla_row(html):
        return html.split("<tbody>", 1)[1].split("</tr>", 1)[0]

    before_page = client.get("/t/TSLA/?range=24h").content.decode()
    before_home = tsla_row(client.get("/").content.decode())
    negatives = [a for a in site_data.articles[:29] if a.sentiment_label == "negative"]
    # Through the review service: a one-ticker article's label is its mention's stance too.
    review_mark(article_ids=[a.pk for a in negatives], label="positive", reviewer=None)
    after_page = client.get("/t/TSLA/?range=24h").content.decode()
    after_home = tsla_row(client.get("/").content.decode())
    assert int(tsla_split(after_page)) > int(tsla_split(before_page))
    assert after_home != before_home
    # The (cached) article list shows the reviewers' labels too.
    assert "(reviewed)" not in before_page and "bullish (reviewed)" in after_page
