"""The ticker linker, rule by rule: a table of positive and negative cases."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest import linker
from ingest.linker import STOP_WORDS, Match, TickerSet, link, linkable_text
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


# ------------------------------------------------------------------ the fast forms = the plain forms
#
# `_CANDIDATE` is written to start with a character class, `_MD_LINK` with two literal
# branches, and `_URL` runs over the part of a text a URL can be in (ingest/linker.py says
# why). Below, the plain forms they replaced, and properties that both find exactly the
# same things on random text made of the pieces that matter to them.

_CANDIDATE_PLAIN = re.compile(
    r"(?<![\w$&])(?:\$([A-Za-z][A-Za-z0-9]{0,5}(?:[.\-][A-Za-z])?)|([A-Z][A-Z0-9]{0,5}(?:[.\-][A-Z])?))(?![\w$])"
)
_MD_LINK_PLAIN = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")


def _linkable_text_plain(text: str) -> str:
    """`linkable_text` as it was written before the fast forms."""
    if not text:
        return ""
    if "`" in text or "~~~" in text:
        text = linker._FENCED.sub(" ", text)
        text = linker._INLINE_CODE.sub(" ", text)
    if ">" in text or "&gt;" in text:
        text = linker._QUOTE_LINE.sub(" ", text)
    if "](" in text:
        text = _MD_LINK_PLAIN.sub(r" \1 ", text)
    if "/" in text or "www." in text:
        text = linker._URL.sub(" ", text)
    if "<" in text:
        text = linker._TAG.sub(" ", text)
    return text


def _link_plain(text: str, tickers: TickerSet) -> list[tuple[str, str, float]]:
    """`link` as it was written before the fast forms (Match as a plain tuple)."""
    if not text or not tickers.all:
        return []
    found: dict[str, tuple[str, str, float]] = {}
    for cash, bare in _CANDIDATE_PLAIN.findall(_linkable_text_plain(text)):
        word = cash or bare
        if ("." in word or "-" in word) and word.upper() not in tickers.all:
            word = re.split(r"[.\-]", word, maxsplit=1)[0]
        if cash:
            symbol = word.upper()
            if symbol in tickers.all:
                previous = found.get(symbol)
                if previous is None or previous[2] < 1.0:
                    found[symbol] = (symbol, f"${word}", 1.0)
        elif word in tickers.bare and word not in found:
            found[word] = (word, word, 0.8)
    return list(found.values())


# Characters and pieces the patterns look at: `$`, `&`, dots, dashes, digits, both cases,
# letters with special case rules (Kelvin sign, long s, dotless i), emoji, markup.
_CHARS = "$&.-_0123456789AZTSLGMEBRKwWxyz \n\t\r\x00`~>]([)!/:<#*'\"\\ßſKıİéÉ\u00a0\u2003🚀💎"
_PIECES = [
    *"$TSLA $tsla TSLA GME BRK.B BRK.b $BRK.B NVDA. I IT DD $IT $5 US$ A-B AAPL-style".split(),
    *"https:// http:// ftp:// www. WWW. wWw. .com/ .CoM/ .io/ .co/ x.org/a ](".split(),
    *"``` ~~~ ` &gt; > < <b> </b> [AMD](http://x.com/NVDA) ![i](y) \n> \n&gt; ".split(" "),
]
_TEXTS = st.lists(
    st.one_of(
        st.sampled_from(_PIECES),
        st.text(alphabet=_CHARS, max_size=6),
        st.characters(),
        st.text(max_size=4),
    ),
    max_size=25,
).map("".join)
_FAST_FORMS = settings(max_examples=600, deadline=None, derandomize=True)


@_FAST_FORMS
@given(_TEXTS)
def test_the_candidate_regex_finds_what_the_plain_form_finds(text):
    found = linker._CANDIDATE.findall(text)
    fast = [(cash, "" if first == "$" else first + rest) for first, cash, rest, markup in found if not markup]
    assert fast == _CANDIDATE_PLAIN.findall(text)
    assert [markup for *_, markup in found if markup] == [c for c in text if c in "`~>&]/<"]


@_FAST_FORMS
@given(_TEXTS)
def test_linkable_text_is_what_the_plain_form_makes(text):
    assert linkable_text(text) == _linkable_text_plain(text)


@_FAST_FORMS
@given(_TEXTS)
def test_link_finds_what_the_plain_form_finds(text):
    assert [tuple(match) for match in link(text, TICKERS)] == _link_plain(text, TICKERS)


@_FAST_FORMS
@given(_TEXTS)
def test_urls_are_cut_out_of_any_text_as_from_the_whole_text(text):
    assert linker._urls_removed(text) == linker._URL.sub(" ", text)


@pytest.mark.parametrize(
    "text",
    [
        "see https://x.com/TSLA and www.y.io/GME, then WWW.Z.CO/AMD\tor ftp://f/NVDA\n$PLTR",
        "a/b TSLA x.com/ GME",
        "TSLAhttps://x.com/a GME",  # a URL glued to a word: the word is a candidate after the cut
        "  www.example.com",
        "no slash but Www.example.com TSLA",
    ],
)
def test_urls_are_removed_as_the_regex_removes_them_from_the_whole_text(text):
    assert linker._urls_removed(text) == linker._URL.sub(" ", text)


def test_match_is_a_named_tuple_with_the_same_fields():
    (match,) = link("$TSLA", TICKERS)
    assert match == Match("TSLA", "$TSLA", 1.0)
    assert (match.symbol, match.matched_text, match.confidence) == ("TSLA", "$TSLA", 1.0)
