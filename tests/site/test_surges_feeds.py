"""Atom feeds of surges (issue 29, section 3): /feeds/surges.atom and /t/SYMBOL/surges.atom, parsed as XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from articles.models import Ticker

from .conftest import make_surge

ATOM = "{http://www.w3.org/2005/Atom}"
HOUR = datetime(2026, 11, 20, 12, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)> "Corp"'


@pytest.fixture
def surges(db):
    tsla = Ticker.objects.create(symbol="TSLA", name="Tesla, Inc.", exchange="NASDAQ")
    gme = Ticker.objects.create(symbol="GME", name="GameStop Corp.", exchange="NYSE")
    Ticker.objects.create(symbol="NVDA", name="NVIDIA Corporation", exchange="NASDAQ")
    return [
        make_surge(tsla, started=HOUR, ongoing=True, authors=31, expected=5.0, bullish=12, bearish=4, neutral=4),
        make_surge(gme, started=HOUR - timedelta(days=1), authors=12, expected=3.0),
        make_surge(tsla, started=HOUR - timedelta(days=5), authors=9, expected=2.0),
    ]


def parse(response) -> ET.Element:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    return root


def entries(root: ET.Element) -> list[ET.Element]:
    return root.findall(f"{ATOM}entry")


def text(element: ET.Element, tag: str) -> str:
    found = element.find(f"{ATOM}{tag}")
    assert found is not None, tag
    return found.text or ""


def alternate(element: ET.Element) -> str:
    links = [link for link in element.findall(f"{ATOM}link") if link.get("rel") == "alternate"]
    assert len(links) == 1
    return links[0].get("href")


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_the_all_tickers_feed(client, surges):
    root = parse(client.get("/feeds/surges.atom"))
    assert text(root, "title") == "Market Pulse: surges"
    assert alternate(root) == "http://testserver/"
    selfs = [link.get("href") for link in root.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert selfs == ["http://testserver/feeds/surges.atom"]
    items = entries(root)
    assert [text(e, "title") for e in items] == [
        "TSLA: 6.2x its usual level",
        "GME: 4.0x its usual level",
        "TSLA: 4.5x its usual level",
    ]
    assert [alternate(e) for e in items] == ["http://testserver/t/TSLA/", "http://testserver/t/GME/"] + [
        "http://testserver/t/TSLA/"
    ]
    ids = [text(e, "id") for e in items]
    assert len(set(ids)) == 3 and ids[0] == "tag:market-pulse,2026:surge:TSLA:2026-11-20T12:00Z"
    for entry, surge in zip(items, surges, strict=True):
        assert when(text(entry, "published")) == surge.detected_at
        assert when(text(entry, "updated")) == surge.updated_at
    assert when(text(root, "updated")) == max(s.updated_at for s in surges)
    summary = items[0].find(f"{ATOM}summary")
    assert summary.get("type") == "html"
    assert "31 distinct authors where 5.0 were expected (6.2x its usual level)" in summary.text
    assert "62 mentions (10.0 expected)" in summary.text
    assert "60% bullish, 20% bearish of 20 scored mentions (usually 40% bullish, 25% bearish)" in summary.text
    assert "ongoing" in summary.text and "Started 2026-11-20 12:00 UTC" in summary.text
    assert "ended 2026-11-19 15:00 UTC" in items[1].find(f"{ATOM}summary").text


def test_one_tickers_feed(client, surges):
    root = parse(client.get("/t/TSLA/surges.atom"))
    assert text(root, "title") == "Market Pulse: TSLA surges"
    assert alternate(root) == "http://testserver/t/TSLA/"
    assert [alternate(e) for e in entries(root)] == ["http://testserver/t/TSLA/"] * 2
    assert entries(parse(client.get("/t/tsla/surges.atom")))  # the symbol is case-insensitive
    quiet = parse(client.get("/t/NVDA/surges.atom"))  # a known ticker without surges: an empty feed
    assert entries(quiet) == [] and text(quiet, "updated")


@pytest.mark.parametrize("path", ["/t/NOPE/surges.atom", "/t/%24%24/surges.atom", "/t/" + "A" * 30 + "/surges.atom"])
def test_an_unknown_ticker_is_a_404(client, surges, path):
    assert client.get(path).status_code == 404


def test_hostile_text_is_escaped(client, db):
    ticker = Ticker.objects.create(symbol="EVIL", name=HOSTILE, exchange="NYSE")
    make_surge(ticker, started=HOUR, ongoing=True)
    response = client.get("/t/EVIL/surges.atom")
    assert b"<script" not in response.content and b"<img" not in response.content
    root = parse(response)  # well-formed XML whatever the name holds
    assert text(root, "subtitle").startswith(f"EVIL ({HOSTILE})")  # plain text: XML-escaped, read back as is
    summary = entries(root)[0].find(f"{ATOM}summary").text  # HTML: the name is HTML-escaped inside it
    assert "<script" not in summary and "<img" not in summary
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;" in summary
    assert summary.startswith("<p>EVIL (")  # the summary's own markup is kept


def test_feeds_are_linked_from_the_pages_and_cached_like_the_api(client, surges):
    home = client.get("/").content.decode()
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Market Pulse: surges" href="/feeds/surges.atom">'
        in (home)
    )
    page = client.get("/t/TSLA/").content.decode()
    assert 'type="application/atom+xml" title="Market Pulse: TSLA surges" href="/t/TSLA/surges.atom">' in page
    response = client.get("/feeds/surges.atom")
    assert "max-age=60" in response["Cache-Control"] and response["ETag"]
    assert client.get("/feeds/surges.atom", headers={"If-None-Match": response["ETag"]}).status_code == 304
    assert client.post("/feeds/surges.atom").status_code == 405


def test_one_query_for_the_feed(client, surges, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        assert len(entries(parse(client.get("/feeds/surges.atom")))) == 3
    with django_assert_max_num_queries(2):
        assert len(entries(parse(client.get("/t/TSLA/surges.atom")))) == 2
