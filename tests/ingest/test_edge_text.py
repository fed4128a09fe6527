"""Issue 30, items 2 and 18 (validation half): the text a page shows is the text Reddit's readers see.

Reddit sends titles and bodies HTML-escaped once (`&lt;b&gt;`, `&amp;`, `&#x1F680;`); the
page escapes what it renders once more. So the edge (`ingest.validation.reddit_text`, on
the scraper's way and on both of the dumps' ways) undoes Reddit's escape once, and drops the
Unicode bidi controls that would reorder a line (`\\u202eevil_user`), in text and author.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from articles.models import Article
from ingest.dumps.reader import DumpReader
from ingest.dumps.records import COMMENTS, SUBMISSIONS
from ingest.dumps.rows import dump_rows
from ingest.fakereddit import FakeReddit
from ingest.validation import BIDI_CONTROLS, Accepted, author_clean, item_validate, reddit_text

NOW = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
ESCAPED = "&lt;b&gt;HTML entities&lt;/b&gt; &amp; $TSLA &#x1F680;"
LITERAL = "<b>HTML entities</b> & $TSLA \U0001f680"
RLO = "\u202e"


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (ESCAPED, LITERAL),
        ("&amp;lt;b&amp;gt; is how you write <b>", "&lt;b&gt; is how you write <b>"),  # once, never twice
        ("&quot;quoted&quot; &#39;single&#39; &nbsp;", "\"quoted\" 'single' \xa0"),
        ("AT&T, S&P 500, P&L, R&D", "AT&T, S&P 500, P&L, R&D"),  # no entity: kept
        ("&nothing &copy &notanentity; &#xZZ;", "&nothing &copy &notanentity; &#xZZ;"),  # no semicolon / unknown
        ("&#0; &#xD800; &#x110000;", "\ufffd \ufffd \ufffd"),  # what HTML makes of bad references
        ("RTL \u202egnirts\u202c and \u2066isolate\u2069 \u200eLRM\u200f \u061cALM", "RTL gnirts and isolate LRM ALM"),
        ("&#x202E;reversed by a reference", "reversed by a reference"),  # decoded, then stripped
        ("NUL \x00 and lone \ud800 surrogate &amp;", "NUL  and lone \ufffd surrogate &"),
        (12, ""),
        (None, ""),
    ],
)
def test_reddit_text_undoes_reddits_escape_once_and_drops_bidi_controls(raw, text):
    assert reddit_text(raw) == text


def test_reddit_text_cuts_after_decoding():
    assert reddit_text("&amp;" * 10, 4) == "&&&&"
    assert len(reddit_text("&amp;" * 30_000)) == 30_000


@pytest.mark.parametrize("control", list(BIDI_CONTROLS))
def test_every_bidi_control_is_stripped_from_author_and_text(control):
    assert author_clean(f"{control}evil_user") == "evil_user"
    assert author_clean(control) == "[deleted]"  # nothing left: as an empty name
    assert reddit_text(f"a{control}b") == "ab"


def _post(**extra):
    return {
        "id": "abc12",
        "subreddit": "wallstreetbets",
        "created_utc": NOW.timestamp() - 60,
        "author": f"{RLO}evil_user",
        "title": ESCAPED,
        "selftext": f"{RLO}body &amp; more",
        "score": 1,
        "num_comments": 0,
        **extra,
    }


def _comment(**extra):
    return {
        "id": "def34",
        "link_id": "t3_abc12",
        "subreddit": "wallstreetbets",
        "created_utc": NOW.timestamp() - 30,
        "author": f"nice{RLO}_user",
        "body": ESCAPED,
        "score": 1,
        **extra,
    }


def test_item_validate_stores_the_unescaped_text_without_bidi_controls():
    post = item_validate(_post(), now=NOW)
    assert isinstance(post, Accepted)
    assert (post.row["title"], post.row["body"], post.row["author"]) == (LITERAL, "body & more", "evil_user")
    comment = item_validate(_comment(), now=NOW)
    assert isinstance(comment, Accepted)
    assert (comment.row["body"], comment.row["author"]) == (LITERAL, "nice_user")


@pytest.mark.parametrize(
    ("kind", "record", "body"),
    [
        (SUBMISSIONS, _post(), "body & more"),
        (SUBMISSIONS, _post(author="plain", selftext="ascii &amp; only", title="ascii &lt;b&gt;"), "ascii & only"),
        (COMMENTS, _comment(), LITERAL),
        (COMMENTS, _comment(author="plain", body="ascii &amp;amp; once"), "ascii &amp; once"),
        (COMMENTS, _comment(body=f"no entity, one {RLO}override"), "no entity, one override"),
    ],
)
def test_the_dump_way_makes_the_same_row_as_item_validate(kind, record, body):
    """`dump_rows`' compiled common case (ASCII text skips the helpers) must not skip the decoding."""
    reader = DumpReader(io.BytesIO(json.dumps(record).encode() + b"\n"))
    rows = list(dump_rows(reader, kind=kind, now=NOW))
    expected = item_validate(record, kind="post" if kind == SUBMISSIONS else "comment", now=NOW)
    assert isinstance(expected, Accepted)
    assert rows == [expected.row]
    assert rows[0]["body"] == body
    assert rows[0]["title"] in {"", LITERAL, "ascii <b>"}
    assert not set(rows[0]["author"]) & set(BIDI_CONTROLS)


@pytest.fixture
def reddit(settings):
    with FakeReddit(rate_limit=10_000) as server:
        settings.REDDIT_OAUTH_URL = settings.REDDIT_URL = server.url
        settings.REDDIT_CLIENT_ID, settings.REDDIT_CLIENT_SECRET = "x", "y"
        settings.REDDIT_SUBREDDITS = ["wallstreetbets"]
        yield server


def _serve_escaped_post(server: FakeReddit) -> None:
    now = timezone.now().timestamp()
    server.add_dataset(
        [
            {
                "id": "esc1",
                "name": "t3_esc1",
                "subreddit": "wallstreetbets",
                "title": ESCAPED,
                "selftext": "&lt;i&gt;not italic&lt;/i&gt; &amp;amp; $TSLA",
                "author": f"{RLO}evil_user",
                "created_utc": now - 600,
                "score": 5,
                "num_comments": 0,
                "permalink": "/r/wallstreetbets/comments/esc1/x/",
            }
        ],
        [],
    )


@pytest.mark.django_db
def test_the_scraper_stores_the_text_unescaped_through_praw(reddit, tickers):
    _serve_escaped_post(reddit)
    call_command("scrape_reddit", verbosity=0, stdout=io.StringIO())
    row = Article.objects.get(reddit_id="t3_esc1")
    assert (row.title, row.body, row.author) == (LITERAL, "<i>not italic</i> &amp; $TSLA", "evil_user")
    assert row.mentions.filter(ticker__symbol="TSLA").exists()


@pytest.mark.browser
@pytest.mark.slow
def test_the_ticker_page_shows_the_text_as_literal_text_in_chromium(
    transactional_db, reddit, tickers, live_server, browser
):
    _serve_escaped_post(reddit)
    call_command("scrape_reddit", verbosity=0, stdout=io.StringIO())
    context = browser.new_context()
    page = context.new_page()
    assert page.goto(live_server.url + "/t/TSLA/").status == 200
    article = page.locator("li.article", has=page.locator("h3.title"))
    assert article.count() == 1
    assert article.locator("h3.title").inner_text() == LITERAL  # as text: not markup, not "&lt;"
    assert article.locator("p.body").inner_text() == "<i>not italic</i> &amp; $TSLA"
    assert article.locator("b, i").count() == 0  # nothing of it became an element
    assert "by evil_user," in article.locator("p.meta").inner_text()
    assert RLO not in page.locator("main").inner_text()
    context.close()
