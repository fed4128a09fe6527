"""The ticker linker: text -> the tickers it talks about. Pure, no database, no I/O.

Rules (issue 3):
* `$TSLA` cashtags always count, in any case (`$tsla`), when the symbol is a known
  active ticker -- stop-listed ones included (`$IT`, `$ON`).
* Bare symbols count only as standalone UPPERCASE words that are active tickers and
  not on the stop list (tickers that are usually English on Reddit: A, I, IT, DD,
  CEO, YOLO, ...). One-letter symbols (F, T, X) count only with `$`.
* URLs, markdown link targets, inline code, fenced code blocks and quoted lines
  (`> ...`) are removed first; a markdown link's visible text stays.
* Each ticker counts once per text; the first match is kept as `matched_text`.

Ticker names come from the caller (the `Ticker` table, active rows, loaded once
per run by `ticker_index_load()` in ingest.upsert); nothing here hard-codes a symbol except
the stop list of English words.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# Symbols that are real tickers but, written bare, are nearly always English (or
# Reddit slang) on r/wallstreetbets. They still count as cashtags.
STOP_WORDS: frozenset[str] = frozenset(
    [
        "A",
        "I",
        "AM",
        "AN",
        "AND",
        "ANY",
        "ARE",
        "AS",
        "AT",
        "BE",
        "BIG",
        "BY",
        "CAN",
        "CEO",
        "CFO",
        "CTO",
        "DD",
        "DO",
        "EV",
        "EDIT",
        "EPS",
        "ETF",
        "FD",
        "FDS",
        "FOMO",
        "FOR",
        "FREE",
        "FUD",
        "GDP",
        "GO",
        "GOOD",
        "HAS",
        "HE",
        "HOLD",
        "IMO",
        "IN",
        "IPO",
        "IRS",
        "IS",
        "IT",
        "ITM",
        "JUST",
        "LOL",
        "LOVE",
        "MAN",
        "ME",
        "MOON",
        "MY",
        "NEW",
        "NEXT",
        "NOW",
        "NYSE",
        "OG",
        "OK",
        "ON",
        "ONE",
        "OR",
        "OTM",
        "OUT",
        "PM",
        "POST",
        "PUMP",
        "RH",
        "SEC",
        "SO",
        "SEE",
        "TA",
        "THE",
        "TO",
        "TV",
        "UK",
        "UP",
        "US",
        "USA",
        "USD",
        "WSB",
        "YOLO",
        "ALL",
        "ATH",
        "BUY",
        "SELL",
        "CASH",
        "EOD",
        "EOW",
        "FED",
        "IV",
        "PT",
        "RIP",
        "TL",
        "DR",
        "AI",
        "EU",
        "PE",
        "LMAO",
        "OMG",
        "FYI",
        "BTW",
        "IRL",
        "WTF",
        "GG",
        "CPI",
        "PPI",
        "NFA",
        "DM",
        "YOY",
        "QOQ",
        "ROI",
        "NEVER",
        "REAL",
        "HOPE",
        "WELL",
        "WOW",
        "FUN",
        "PLAY",
        "BEST",
        "BIT",
        "LIFE",
        "MIND",
        "NICE",
        "OPEN",
        "RUN",
        "SAVE",
        "TRUE",
        "VERY",
        "WORK",
        "FAST",
        "HUGE",
        "LOW",
        "HIGH",
        "KEY",
        # Time zones, indices and words that collide with listed symbols in the bundled list.
        "ET",
        "EST",
        "DOW",
        "DAY",
        "TECH",
    ]
)

_FENCED = re.compile(r"```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_QUOTE_LINE = re.compile(r"^[ \t]*(?:>|&gt;).*$", re.MULTILINE)
# `!?\[...` written as two literal branches: the engine then only stops at a `!` or a `[`
# (a leading optional item gives it no first character to look for).
_MD_LINK = re.compile(r"(?:!\[|\[)([^\]\n]*)\]\([^)\n]*\)")
_URL = re.compile(r"(?:https?://|ftp://|www\.)\S+|\b[\w.-]+\.(?:com|org|net|io|co)/\S*", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][^>\n]{0,200}>")
# A candidate: `$` and a symbol-looking word in any case, or a bare all-uppercase
# word (lowercase words never match, which keeps the Python loop short). Symbols
# may hold one `.`/`-` class suffix (BRK.B). Lookarounds keep it a standalone word.
# The plain form (kept in tests/ingest/test_linker.py, which checks that this one finds
# exactly the same candidates):
#   (?<![\w$&])(?:\$(SYMBOL)|(UPPERCASE WORD))(?![\w$])
# `_CANDIDATE` is written so that the pattern STARTS with a character class: then the
# regex engine skips, in C, every character that cannot start a match (most of a
# comment is lowercase) instead of trying the whole pattern at each position:
# * group 1 is the first character; "not after a word character, `$` or `&`" is the
#   width-2 lookbehind that follows it (at the start of the text it cannot match, so
#   it holds, as the plain form's lookbehind does);
# * `(?<=\$)` / `(?<=[A-Z])` then pick the cashtag branch (group 2: the symbol after
#   `$`) or the bare one (group 3: the rest of the word after its first letter);
# * the same scan also stops at each character `linkable_text` starts its work on
#   (`_MARKUP`: a backtick, `~`, `>`, `&`, `]`, `/`, `<`), which it reports in group 4.
#   None of them can be part of a candidate, so a text with none of them (and no
#   "www.") is its own linkable text, and the candidates it holds are its candidates:
#   `link` then needs no other pass. The other matches are the plain form's ones.
_MARKUP = "`~>&\\]/<"
_CANDIDATE = re.compile(
    rf"([$A-Z{_MARKUP}])(?:"
    r"(?<![\w$&][$A-Z])(?:(?<=\$)([A-Za-z][A-Za-z0-9]{0,5}(?:[.\-][A-Za-z])?)|(?<=[A-Z])([A-Z0-9]{0,5}(?:[.\-][A-Z])?))"
    rf"(?![\w$])|(?<=([{_MARKUP}])))"
)
_CLASS_SUFFIX = re.compile(r"[.\-]")


class Match(NamedTuple):
    """A NamedTuple, not a dataclass: one is built per mention, millions per dump import."""

    symbol: str
    matched_text: str
    confidence: float  # 1.0 for a cashtag, 0.8 for a bare uppercase symbol


_match = tuple.__new__  # Match(...) without the Python-level __new__ of a NamedTuple


class TickerSet:
    """The active tickers of one run, split into the ones that may link bare."""

    __slots__ = ("all", "bare")

    def __init__(self, symbols, stop_words: frozenset[str] = STOP_WORDS) -> None:
        self.all: frozenset[str] = frozenset(s.strip().upper() for s in symbols if s and s.strip())
        self.bare: frozenset[str] = frozenset(s for s in self.all if len(s) > 1 and s not in stop_words)

    def __len__(self) -> int:
        return len(self.all)

    def __contains__(self, symbol: str) -> bool:
        return symbol in self.all


def linkable_text(text: str) -> str:
    """The part of `text` the linker may read: code, quotes, URLs, link targets and HTML tags removed.

    Not `sentiment.text.clean_text` (what the sentiment models read): the two remove different things.
    """
    if not text:
        return ""
    if "`" in text or "~~~" in text:
        if "```" in text or "~~~" in text:  # what every fence starts with (else the regex reads it all for nothing)
            text = _FENCED.sub(" ", text)
        text = _INLINE_CODE.sub(" ", text)
    if ">" in text or "&gt;" in text:
        text = _QUOTE_LINE.sub(" ", text)
    if "](" in text:
        text = _MD_LINK.sub(_link_text, text)
    if "/" in text or "www." in text:
        text = _urls_removed(text)
    if "<" in text:
        text = _TAG.sub(" ", text)
    return text


def _link_text(match: re.Match[str]) -> str:
    """`r" \\1 "` as a function: a template makes `sub` call back into Python's `re` module."""
    return f" {match[1]} "


def _urls_removed(text: str) -> str:
    """`_URL.sub(" ", text)`, with the regex run only over the part of the text a URL can be in.

    `_URL` tries both of its branches at every position, which made it the costliest
    step of the linker on a comment with a link. But a match never leaves one run of
    non-space characters (every part of the pattern is non-space, and `\\b` sees a
    space next to the run as it sees the start or end of a text), and only a run holding
    a "/" or a "www." in any case can hold one ("https://", "ftp://" and "x.com/" have a
    "/"; "w" has no case-insensitive match but "W"). So the text before the run of the
    first "/", "www." or "W" and after the run of the last one comes out unchanged: the
    regex reads from the last space or newline before the first one to the first space
    or newline after the last one.
    """
    first, last = len(text), -1
    for needle in ("/", "www.", "W"):
        at = text.find(needle)
        if at >= 0:
            first = min(first, at)
            last = max(last, text.rfind(needle))
    if last < 0:
        return text
    start = max(text.rfind(" ", 0, first), text.rfind("\n", 0, first)) + 1
    ends = [at for at in (text.find(" ", last), text.find("\n", last)) if at >= 0]
    end = min(ends) if ends else len(text)
    return text[:start] + _URL.sub(" ", text[start:end]) + text[end:]


def link(text: str, tickers: TickerSet) -> list[Match]:
    """The tickers `text` mentions, each once, in order of first appearance."""
    if not text or not tickers.all:
        return []
    everything, bare_ok = tickers.all, tickers.bare
    # Most texts have no markup: their candidates come from the text itself, and a markup
    # character met on the way (group 4) sends the text through linkable_text after all
    # (a link's "/" or "www." is looked for first: the commonest markup, and "www." has none).
    plain = "/" not in text and "www." not in text
    candidates = _CANDIDATE.findall(text if plain else linkable_text(text))
    found: dict[str, Match] = {}
    while True:
        for first, cash, rest, markup in candidates:
            if markup:
                if plain:
                    break
                continue
            if first == "$":
                word = cash
                if ("." in word or "-" in word) and word.upper() not in everything:
                    word = _CLASS_SUFFIX.split(word, maxsplit=1)[0]  # "$TSLA.I think": a sentence end, not a class
                symbol = word.upper()
                if symbol in everything:
                    previous = found.get(symbol)
                    if previous is None or previous.confidence < 1.0:
                        found[symbol] = _match(Match, (symbol, f"${word}", 1.0))
                continue
            word = first + rest
            if ("." in rest or "-" in rest) and word not in everything:  # a bare word is upper-case already
                word = _CLASS_SUFFIX.split(word, maxsplit=1)[0]  # "TSLA.I think"
            if word in bare_ok and word not in found:
                found[word] = _match(Match, (word, word, 0.8))
        else:
            return list(found.values()) if found else []
        plain, found = False, {}
        candidates = _CANDIDATE.findall(linkable_text(text))
