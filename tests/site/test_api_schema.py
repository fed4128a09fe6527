"""schemathesis over /api/v1/openapi.json, against the real WSGI app and a real (test) database.

Every generated request (valid and invalid parameters, unknown symbols) must get a
response that matches the document: status code listed, JSON body valid against
its schema, never a 500.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import positive_data_acceptance


@pytest.fixture
def wsgi_keeps_test_connection():
    """Requests through the raw WSGI app would close the test's DB connection at request end
    (`close_old_connections`); Django's own test client disconnects it the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _load_schema():
    # Loaded through the WSGI app itself (the document is static: no database access).
    from marketpulse.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


# Note: schemathesis.pytest.from_fixture breaks on pytest 9 (it reads a removed private
# attribute, Function._nodeid), so the schema is loaded at import and the data comes
# from the `site_data` fixture of each test.
schema = _load_schema()


@pytest.mark.slow
@schema.parametrize()
@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case, site_data, wsgi_keeps_test_connection, settings):
    settings.API_RATE_LIMIT = "100000/m"  # hypothesis sends hundreds of requests from one address
    excluded = []
    query = case.query or {}
    if query.get("cursor") or (query.get("since") and query.get("until")):
        # A cursor is opaque: any string is schema-valid, but only ones we issued decode, so a
        # made-up cursor is rightly a 400 (checked by test_api.py::test_bad_cursor_is_400).
        # `until` must be after `since`, which the document cannot say: an inverted range is a
        # 400 (test_surges_api.py::test_bad_parameters_are_400).
        excluded.append(positive_data_acceptance)
    case.call_and_validate(excluded_checks=excluded)


def test_openapi_document_lists_every_endpoint(client, db):
    doc = client.get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {
        "/api/v1/tickers",
        "/api/v1/tickers/{symbol}",
        "/api/v1/tickers/{symbol}/articles",
        "/api/v1/tickers/{symbol}/prices",
        "/api/v1/surges",
        "/api/v1/status",
    }
    row = doc["components"]["schemas"]["TickerRow"]["properties"]
    for name in (
        "rank",
        "symbol",
        "name",
        "mentions",
        "mentions_prev",
        "rank_prev",
        "upvotes",
        "bullish_pct",
        "bearish_pct",
        "sentiment",
    ):
        assert name in row


def test_the_document_is_generated_from_the_typed_parameters(client, db):
    """No hand-written document: django-ninja builds it from `articles.schemas`."""
    import importlib.util

    from articles import leaderboard, schemas, selectors

    assert importlib.util.find_spec("articles.openapi") is None
    assert importlib.util.find_spec("articles.api_params") is None
    doc = client.get("/api/v1/openapi.json").json()
    params = {p["name"]: p["schema"] for p in doc["paths"]["/api/v1/tickers"]["get"]["parameters"]}
    assert params["window"]["enum"] == list(leaderboard.WINDOWS) and params["window"]["default"] == "24h"
    assert (params["page"]["minimum"], params["page"]["maximum"]) == (1, schemas.MAX_PAGE)
    assert params["etfs"] == {"default": True, "description": "Include ETFs (default true).", "title": "Etfs"} | {
        "type": "boolean"
    }
    articles = {p["name"]: p["schema"] for p in doc["paths"]["/api/v1/tickers/{symbol}/articles"]["get"]["parameters"]}
    assert articles["label"]["enum"] == ["all", *selectors.LABELS]
    assert set(doc["paths"]["/api/v1/tickers/{symbol}"]["get"]["responses"]) == {"200", "400", "404", "405", "429"}
