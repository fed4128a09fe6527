"""Human API docs (issue 30, item 9): /api/v1/ answers a JSON index, /api/v1/docs is the
Swagger UI django-ninja ships, served from our own static files (no CDN), linked from
the site's footer."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse


@pytest.mark.django_db
def test_the_api_root_is_a_json_index(client):
    response = client.get("/api/v1/")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    index = response.json()
    assert index["name"] == "Market Pulse API" and index["version"] == "1.0.0"
    assert index["docs"] == "http://testserver/api/v1/docs"
    assert index["openapi"] == "http://testserver/api/v1/openapi.json"
    document = client.get("/api/v1/openapi.json").json()
    listed = {(e["method"], e["path"]) for e in index["endpoints"]}
    assert listed == {("GET", path) for path in document["paths"]}
    status = next(e for e in index["endpoints"] if e["path"] == "/api/v1/status")
    assert status["url"] == "http://testserver/api/v1/status" and status["summary"]
    assert client.get(status["url"]).status_code == 200
    # Without the slash: sent to the index.
    moved = client.get("/api/v1")
    assert moved.status_code == 301 and moved["Location"] == "/api/v1/"
    # Still read-only, and a path under it that is not an endpoint is still a JSON 404.
    assert client.post("/api/v1/").status_code == 405
    assert client.get("/api/v1/nothing").json() == {"error": "no such API endpoint"}


@pytest.mark.django_db
def test_the_docs_page_is_swagger_ui_from_our_own_static_files(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert "/static/ninja/swagger-ui-bundle.js" in sources and "/static/ninja/swagger-ui.css" in sources
    assert all(s.startswith("/static/") for s in sources), sources  # no CDN, no other host
    assert '"url": "/api/v1/openapi.json"' in html
    for source in sources:  # each one a file we ship (django-ninja's, found by the staticfiles finders)
        assert finders.find(source.removeprefix("/static/")), source
    assert reverse("articles:api-docs") == "/api/v1/docs"


@pytest.mark.django_db
def test_the_footer_links_the_docs(client):
    html = client.get("/").content.decode()
    footer = html.split('<footer class="site-footer">', 1)[1]
    assert 'href="/api/v1/docs"' in footer and 'href="/api/v1/openapi.json"' in footer


@pytest.mark.browser
@pytest.mark.slow
def test_swagger_ui_draws_every_operation_offline_in_chromium(transactional_db, live_server, browser):
    context = browser.new_context()
    try:
        page = context.new_page()
        requested: list[str] = []
        console: list[str] = []
        page.on("request", lambda r: requested.append(r.url))
        page.on("console", lambda m: console.append(m.text))
        page.goto(live_server.url + "/")
        with page.expect_navigation():
            page.click("footer a[href='/api/v1/docs']")
        page.wait_for_selector(".opblock-summary", timeout=20_000)
        operations = page.locator(".opblock-summary-path").all_inner_texts()
        page.locator(".opblock-summary").first.click()
        page.wait_for_selector(".opblock-body", timeout=10_000)
    finally:
        context.close()
    assert sorted(" ".join(o.split()).replace("\u200b", "") for o in operations) == [
        "/api/v1/status",
        "/api/v1/surges",
        "/api/v1/tickers",
        "/api/v1/tickers/{symbol}",
        "/api/v1/tickers/{symbol}/articles",
        "/api/v1/tickers/{symbol}/prices",
    ]
    foreign = [u for u in requested if not u.startswith((live_server.url, "data:"))]
    assert not foreign, foreign  # nothing from a CDN or any other host
    assert not [m for m in console if "Content Security Policy" in m], console
