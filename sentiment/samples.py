"""Generated r/wallstreetbets-like comments with a realistic length distribution.

Used as the check set for int8 vs fp32 agreement (`download_model`) and by
`benchmarks/bench_sentiment.py`. Deterministic for a given seed; no data files.

Lengths: Reddit comment lengths are roughly log-normal — most are a line, a few
are essays. Words per comment ~ LogNormal(ln 14, 1.0), clipped to [1, 600]: median
14 words, mean ~23, ~5% over 70 words, a long tail that hits the token cap.
"""

from __future__ import annotations

import random

TICKERS = [
    "TSLA",
    "GME",
    "AMC",
    "SPY",
    "QQQ",
    "NVDA",
    "AAPL",
    "PLTR",
    "AMD",
    "MSFT",
    "BB",
    "SOFI",
    "META",
    "RIVN",
]
POSITIVE = [
    "moon",
    "bullish",
    "calls",
    "printing",
    "tendies",
    "rocket",
    "gains",
    "beat",
    "strong",
    "buy",
    "rally",
    "breakout",
    "squeeze",
    "undervalued",
    "green",
    "up",
    "love",
    "great",
    "profit",
    "soaring",
]
NEGATIVE = [
    "puts",
    "bearish",
    "dump",
    "crash",
    "bagholder",
    "loss",
    "red",
    "down",
    "miss",
    "overvalued",
    "sell",
    "rug",
    "bleeding",
    "worthless",
    "bankrupt",
    "terrible",
    "hate",
    "drilling",
    "tanking",
    "rekt",
]
NEUTRAL = [
    "the",
    "a",
    "is",
    "to",
    "and",
    "of",
    "in",
    "it",
    "for",
    "on",
    "this",
    "that",
    "with",
    "earnings",
    "market",
    "shares",
    "today",
    "tomorrow",
    "week",
    "price",
    "open",
    "close",
    "volume",
    "guidance",
    "fed",
    "rate",
    "options",
    "expiry",
    "chart",
    "position",
    "account",
    "holding",
    "still",
    "just",
    "what",
    "when",
    "why",
    "how",
    "my",
    "your",
    "they",
    "we",
    "be",
    "at",
    "after",
    "before",
    "report",
    "company",
    "quarter",
    "revenue",
    "analyst",
    "target",
    "short",
    "interest",
    "float",
    "strike",
    "premium",
    "theta",
    "delta",
]
EMOJI = ["🚀", "💎🙌", "🌈🐻", "📉", "📈", "🤡", "🦍", "🔥"]
OPENERS = [
    "Honestly",
    "Lmao",
    "Bro",
    "Ok so",
    "Not financial advice but",
    "Imagine",
    "Yeah",
    "Idk",
    "Wait",
]


def vocabulary() -> list[str]:
    """Every plain word the generator can emit (benchmarks build a tokenizer vocab from it)."""
    words = {w.lower() for w in POSITIVE + NEGATIVE + NEUTRAL + TICKERS}
    for opener in OPENERS:
        words.update(opener.lower().split())
    return sorted(words)


def comment_length(rng: random.Random) -> int:
    return max(1, min(600, int(round(rng.lognormvariate(2.64, 1.0)))))


def generate_comment(rng: random.Random) -> str:
    n = comment_length(rng)
    mood = rng.random()
    bias = POSITIVE if mood < 0.35 else NEGATIVE if mood < 0.65 else NEUTRAL
    words: list[str] = []
    if rng.random() < 0.3:
        words.append(rng.choice(OPENERS))
    while len(words) < n:
        r = rng.random()
        if r < 0.08:
            words.append(("$" if rng.random() < 0.5 else "") + rng.choice(TICKERS))
        elif r < 0.30:
            words.append(rng.choice(bias))
        elif r < 0.33:
            words.append(rng.choice(EMOJI))
        else:
            words.append(rng.choice(NEUTRAL))
        if rng.random() < 0.08:
            words[-1] += rng.choice([".", "!", "?", ","])
    return " ".join(words)


def generate_comments(n: int, *, seed: int = 2026) -> list[str]:
    rng = random.Random(seed)
    return [generate_comment(rng) for _ in range(n)]


# Short hand-written check sentences, clear-cut for a finance sentiment model.
CHECK_SENTENCES = [
    "Revenue beat estimates and guidance was raised, shares are soaring.",
    "The company missed earnings badly and cut its dividend; the stock is crashing.",
    "The annual meeting is scheduled for next Tuesday.",
    "Profit doubled year over year, best quarter ever.",
    "They filed for bankruptcy and the shares are worthless now.",
    "The board will announce the results on Thursday after the close.",
    "Margins expanded and free cash flow hit a record.",
    "Massive layoffs and a downgrade to sell, terrible outlook.",
]
