"""Smaller page problems (issue 13): favicon, error-page footers, a way back from a page past the end,
the two-column ticker list."""

from __future__ import annotations

import logging
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_favicon_is_served_without_a_warning(client, db, caplog):
    with caplog.at_level(logging.INFO):
        response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


def test_pages_link_a_favicon(client, site_data):
    assert re.search(r'<link rel="icon" [^>]*href="/static/favicon[^"]*\.svg"', client.get("/").content.decode())


def test_error_pages_show_the_real_freshness(client, site_data):
    for url, status in [
        ("/?window=1y", 400),
        ("/t/NOPE/", 404),
        ("/t/TSLA/?sort=x", 400),
        ("/tickers/?q=" + "x" * 300, 400),
    ]:
        response = client.get(url)
        assert response.status_code == status, url
        body = response.content.decode()
        assert "Not refreshed yet." not in body, url
        assert "Last refreshed" in body, url


def test_a_page_past_the_end_links_back_to_page_one(client, site_data):
    body = client.get("/?page=99").content.decode()
    assert "on this page" in body
    assert re.search(r'<a href="\?(page=1)?">[^<]*first page', body, re.IGNORECASE), body[-1500:]
    # The window and ETF choices are kept.
    body = client.get("/?page=99&window=7d&etfs=0").content.decode()
    assert 'href="?window=7d&amp;etfs=0"' in body


def test_the_ticker_list_keeps_an_entry_in_one_column():
    css = (ROOT / "static" / "css" / "site.css").read_text()
    rule = re.search(r"\.ticker-list li\s*\{([^}]*)\}", css)
    assert rule and "break-inside: avoid" in rule.group(1)
