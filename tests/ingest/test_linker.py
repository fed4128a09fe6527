"""The ticker linker, rule by rule: a table of positive and negative cases."""

from __future__ import annotations

import pytest

from ingest.linker import STOP_WORDS, TickerSet, link, linkable_text
from tests.ingest.conftest import ENGLISH_TICKERS

# The common WSB names, the English-word tickers the fixtures load, and a few edge cases.
SYMBOLS = [*("TSLA GME AMC NVDA AAPL SPY QQQ AMD PLTR MSFT BB F T X".split()), *ENGLISH_TICKERS]
SYMBOLS += "SOFI COIN TQQQ ET DOW DAY".split()
TICKERS = TickerSet(SYMBOLS)

# (text, expected symbols in order of first appearance)
CASES = [
    # Cashtags always count, any case, when the symbol is a ticker.
    ("$TSLA to the moon", ["TSLA"]),
    ("$tsla to the moon", ["TSLA"]),
    ("$Tsla calls", ["TSLA"]),
    ("bought $GME.", ["GME"]),
    ("$GME's squeeze", ["GME"]),
    ("($AMC)", ["AMC"]),
    ("**$NVDA**", ["NVDA"]),
    ("$BRK.B is boring", ["BRK.B"]),
    ("$XYZQ is not listed", []),
    ("$5 for a coffee", []),
    ("paid US$100 for it", []),
    ("$ TSLA with a space", ["TSLA"]),  # the bare uppercase word still counts
    # Stop-listed tickers count only with `$`.
    ("$IT earnings tomorrow", ["IT"]),
    ("$ON semiconductor", ["ON"]),
    ("$dd is a ticker too", ["DD"]),
    ("$YOLO etf", ["YOLO"]),
    ("$A agilent", ["A"]),
    ("$F ford", ["F"]),
    ("I think IT is going up", []),
    ("DD inside: read it", []),
    ("The CEO is buying", []),
    ("YOLO on calls", []),
    ("new ATH today", []),
    ("IMO this is cheap", []),
    ("these FD are cooked", []),
    ("GO long", []),
    ("ARE you not entertained", []),
    ("CAN you believe it", []),
    ("buy NOW", []),
    ("ALL in", []),
    ("EV stocks", []),
    ("USA USA USA", []),
    ("A stock", []),
    # Bare symbols: standalone uppercase active tickers.
    ("TSLA to the moon", ["TSLA"]),
    ("long NVDA short AMD", ["NVDA", "AMD"]),
    ("I like GME.", ["GME"]),
    ("GME, AMC and BB", ["GME", "AMC", "BB"]),
    ("TSLA's delivery numbers", ["TSLA"]),
    ("(PLTR)", ["PLTR"]),
    ("BRK.B is boring", ["BRK.B"]),
    ("tsla in lowercase", []),
    ("Tsla in title case", []),
    ("TSLAQ is a different word", []),
    ("NVDA2 no", []),
    ("ZZZZ is not a ticker", []),
    ("F this market", []),  # one-letter symbols need $
    ("T minus 5", []),
    ("X marks the spot", []),
    ("AAPL-style growth", ["AAPL"]),
    ("#TSLA hashtag", ["TSLA"]),
    ("TSLA.I think", ["TSLA"]),
    # Once per article, the cashtag preferred.
    ("TSLA TSLA TSLA", ["TSLA"]),
    ("TSLA then $TSLA", ["TSLA"]),
    ("$tsla and $TSLA", ["TSLA"]),
    # URLs, link targets, code and quotes are removed first.
    ("see https://finance.example.com/quote/TSLA for details", []),
    ("www.example.com/NVDA", []),
    ("[chart](https://example.com/AMD) looks good", []),
    ("[AMD chart](https://example.com/x) looks good", ["AMD"]),
    ("`$GME` in code", []),
    ("```\n$SPY 600c\n```\nnothing else", []),
    ("```\nGME\n```\nbut $AMC outside", ["AMC"]),
    ("> TSLA will never go down\n\nlol ok", []),
    ("&gt; TSLA quoted (escaped)\nreply", []),
    ("> $GME quoted\n\nbut NVDA is mine", ["NVDA"]),
    # Hostile text.
    ("<script>alert('TSLA')</script> $GME", ["TSLA", "GME"]),  # literal text, not rendered: it counts
    ("<b>AMD</b>", ["AMD"]),
    ("$AMC<img src=x onerror=alert(1)>", ["AMC"]),
    ("🚀🚀 $GME 🚀🚀", ["GME"]),
    ("🚀TSLA🚀", ["TSLA"]),
    ("Zero\u200bwidth NVDA", ["NVDA"]),
    ("NUL \x00 $PLTR", ["PLTR"]),
    ("&amp; $TSLA &#x1F680;", ["TSLA"]),
    ("'; DROP TABLE articles; -- $GME", ["GME"]),
    ("", []),
    ("no tickers here at all", []),
    # Time zones and indices that are also listed symbols.
    ("earnings at 4pm ET today", []),
    ("the DOW is red, DAY trading is dead", []),
    ("$ET pays a fat dividend", ["ET"]),
]


def test_there_are_at_least_60_cases():
    assert len(CASES) >= 60


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[f"{i:02d}" for i in range(len(CASES))])
def test_link(text, expected):
    assert [m.symbol for m in link(text, TICKERS)] == expected


def test_cashtag_confidence_and_matched_text():
    (bare,) = link("TSLA", TICKERS)
    (cash,) = link("$tsla", TICKERS)
    assert (bare.confidence, bare.matched_text) == (0.8, "TSLA")
    assert (cash.confidence, cash.matched_text) == (1.0, "$tsla")
    (upgraded,) = link("TSLA and later $TSLA", TICKERS)
    assert upgraded.confidence == 1.0


def test_only_the_given_tickers_link():
    """Names come from the caller's set (the Ticker table), none are built in."""
    assert link("$TSLA TSLA", TickerSet([])) == []
    assert [m.symbol for m in link("$HOOD HOOD", TickerSet(["HOOD"]))] == ["HOOD"]
    assert link("HOOD", TickerSet(["TSLA"])) == []


def test_inactive_ticker_never_links():
    active = TickerSet([s for s in SYMBOLS if s != "GME"])
    assert link("$GME GME", active) == []


def test_stop_list_is_words_not_regex():
    assert set(ENGLISH_TICKERS) - {"BRK.B"} <= STOP_WORDS
    assert "IT" in TICKERS and "IT" not in TICKERS.bare


def test_linkable_text_keeps_link_text_drops_target():
    cleaned = linkable_text("[AMD](https://example.com/TSLA) `GME` > quote")
    assert "AMD" in cleaned and "TSLA" not in cleaned and "GME" not in cleaned
