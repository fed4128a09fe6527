"""Hostile admin query strings (issue 13, D10): a NUL byte in a changelist filter is a 400, never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CHANGELISTS = [
    "admin:articles_article_changelist",
    "admin:articles_mention_changelist",
    "admin:articles_ticker_changelist",
    "admin:marketpulse_jobrun_changelist",
]


@pytest.mark.parametrize("name", CHANGELISTS)
@pytest.mark.parametrize("query", ["ticker=%00", "subreddit=%00", "kind__exact=%00", "q=%00", "o=%00", "p=1%00"])
def test_a_nul_in_a_changelist_filter_is_a_400(admin_client, tickers, make_article, name, query):
    make_article(("GME",))
    response = admin_client.get(f"{reverse(name)}?{query}")
    assert response.status_code == 400
    assert b"NUL" in response.content


def test_the_filters_still_work_without_a_nul(admin_client, tickers, make_article):
    make_article(("GME",))
    url = reverse("admin:articles_article_changelist")
    assert admin_client.get(f"{url}?subreddit=wallstreetbets&kind__exact=post").status_code == 200


_text = st.text(max_size=20)


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.sampled_from(CHANGELISTS),
    key=st.sampled_from(["ticker", "subreddit", "kind__exact", "q", "o", "p", "reviewed", "confidence", "status"])
    | _text,
    value=_text,
)
def test_arbitrary_changelist_filters_never_give_a_5xx(admin_client, tickers, name, key, value):
    response = admin_client.get(reverse(name), {key: value})
    assert response.status_code < 500, (key, value, response.status_code)
