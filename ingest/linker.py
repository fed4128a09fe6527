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
from dataclasses import dataclass

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
_MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")
_URL = re.compile(r"(?:https?://|ftp://|www\.)\S+|\b[\w.-]+\.(?:com|org|net|io|co)/\S*", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][^>\n]{0,200}>")
# A candidate: `$` and a symbol-looking word in any case, or a bare all-uppercase
# word (lowercase words never match, which keeps the Python loop short). Symbols
# may hold one `.`/`-` class suffix (BRK.B). Lookarounds keep it a standalone word.
_CANDIDATE = re.compile(
    r"(?<![\w$&])(?:\$([A-Za-z][A-Za-z0-9]{0,5}(?:[.\-][A-Za-z])?)|([A-Z][A-Z0-9]{0,5}(?:[.\-][A-Z])?))(?![\w$])"
)


@dataclass(frozen=True, slots=True)
class Match:
    symbol: str
    matched_text: str
    confidence: float  # 1.0 for a cashtag, 0.8 for a bare uppercase symbol


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
        text = _FENCED.sub(" ", text)
        text = _INLINE_CODE.sub(" ", text)
    if ">" in text or "&gt;" in text:
        text = _QUOTE_LINE.sub(" ", text)
    if "](" in text:
        text = _MD_LINK.sub(r" \1 ", text)
    if "/" in text or "www." in text:
        text = _URL.sub(" ", text)
    if "<" in text:
        text = _TAG.sub(" ", text)
    return text


def link(text: str, tickers: TickerSet) -> list[Match]:
    """The tickers `text` mentions, each once, in order of first appearance."""
    if not text or not tickers.all:
        return []
    cleaned = linkable_text(text)
    found: dict[str, Match] = {}
    for cash, bare in _CANDIDATE.findall(cleaned):
        word = cash or bare
        if ("." in word or "-" in word) and word.upper() not in tickers.all:
            word = re.split(r"[.\-]", word, maxsplit=1)[0]  # "TSLA.I think": a sentence end, not a class
        if cash:
            symbol = word.upper()
            if symbol in tickers.all:
                previous = found.get(symbol)
                if previous is None or previous.confidence < 1.0:
                    found[symbol] = Match(symbol, f"${word}", 1.0)
        elif word in tickers.bare and word not in found:
            found[word] = Match(word, word, 0.8)
    return list(found.values())
