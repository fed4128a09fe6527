"""Stance cues: a table of retail messages written for these tests, clause splitting, the combine rule.

Pure Python: no database. The labels are what a retail reader would say; each
row is scored by cues alone (model score 0.0) unless it says otherwise.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import math
import random
import re
from pathlib import Path

import pytest

from sentiment.samples import generate_comments
from sentiment.stance.cues import (
    FEATURE_NAMES,
    NEUTRAL_THRESHOLD,
    CueResult,
    combine,
    cue_features,
    cue_score,
    cue_score_naive,
    load_lexicon,
    mention_clauses,
    mention_stance,
)
from sentiment.stance.lexicon import LexiconError, lexicon_build

B, S, N = "bullish", "bearish", "neutral"

CASES = [
    # option positions
    (B, "$AAPL 210c 8/16"),
    (B, "grabbed some 15c for next friday"),
    (B, "8/16 210c on apple"),
    (B, "$IWM 230.5c"),
    (S, "$AAPL 180p 8/16"),
    (S, "picked up 400p"),
    (S, "$QQQ 9/20 440p"),
    (B, "leaps on $GOOG, see you in 2027"),
    (B, "my calls are printing"),
    (S, "my puts are printing"),
    (S, "puts printing on $XYZ"),
    (B, "opened a call debit spread"),
    (S, "opened a put debit spread"),
    (B, "put credit spread on SPY, 420/415"),
    (S, "call credit spread above 500"),
    (B, "bull call spread for earnings"),
    (S, "bear put spread, cheap hedge that pays"),
    (B, "selling cash secured puts on $KO"),
    (S, "bought puts at the open"),
    (B, "bought calls at the open"),
    # direction verbs
    (B, "long $CAT"),
    (S, "short $CAT"),
    (S, "shorting $CAT into earnings"),
    (B, "buying $CAT"),
    (S, "selling my $CAT"),
    (B, "added to my $CAT position"),
    (S, "trimmed $CAT today"),
    (B, "loaded up on $CAT"),
    (S, "bagholding $CAT from 300"),
    (S, "exited $CAT"),
    (S, "cut my losses on $CAT"),
    (B, "averaging down on $CAT"),
    (B, "going long here"),
    (S, "went short at the high"),
    # WSB / retail phrases
    (B, "$XYZ to the moon"),
    (B, "tendies tonight boys"),
    (B, "diamond hands on this one"),
    (S, "rug pull, I am out"),
    (S, "drilling to the core"),
    (S, "this is going to zero"),
    (B, "short squeeze setting up"),
    (B, "bought the dip"),
    (B, "breakout above the range"),
    (B, "mooning today"),
    (B, "ripping this morning"),
    (S, "this thing will tank"),
    (S, "dump it"),
    (S, "crash incoming"),
    (S, "massively overvalued"),
    (S, "total bubble"),
    (S, "dead cat bounce, nothing more"),
    (S, "fade the pop"),
    (S, "bull trap, careful"),
    (B, "classic bear trap"),
    (S, "lower highs and lower lows"),
    (B, "new ATH incoming"),
    (S, "bleeding every day"),
    (B, "green candles everywhere"),
    (S, "all red today"),
    (B, "undervalued gem"),
    (B, "earnings beat across the board"),
    (S, "big miss on revenue"),
    (S, "downgrade from JPM"),
    (B, "upgrade from JPM"),
    (B, "PT $45 from the analyst"),
    (B, "going higher from here"),
    (S, "heading lower into the close"),
    (B, "shorts are trapped"),
    (B, "shorts getting squeezed hard"),
    (S, "longs getting wrecked"),
    (S, "bagholders in denial"),
    (B, "revenue up 40% year over year"),
    (S, "subscribers falling again"),
    (B, "up 12% premarket"),
    (S, "down 30% since I bought"),
    (B, "let's goooo"),
    (B, "we're so back"),
    (S, "it's over for this stock"),
    (S, "this company is going bankrupt"),
    (S, "more dilution, of course"),
    (B, "buyback announced"),
    (S, "guidance cut again"),
    (B, "raised guidance"),
    (S, "raging bubble, get out"),
    # emoji-only and emoji-heavy
    (B, "🚀🚀🚀"),
    (B, "📈"),
    (B, "💎🙌"),
    (B, "🐂🌙"),
    (S, "📉📉"),
    (S, "🌈🐻"),
    (S, "🐻"),
    (S, "💀"),
    (S, "🩸🩸🩸"),
    (B, "$XYZ 🚀"),
    (S, "$XYZ 📉"),
    (B, "💎️🙌️"),  # with emoji variation selectors
    # negation
    (B, "not selling"),
    (B, "never selling this"),
    (S, "not buying this rally"),
    (S, "no way this goes up"),
    (B, "no way this goes down"),
    (S, "don't buy it"),
    (B, "I'm not bearish at all"),
    (S, "I'm not bullish here"),
    (B, "can't go much lower"),
    (S, "this will never recover"),
    (B, "won't sell a share"),
    # questions: weakened but still directional when a cue is there
    (S, "is $XYZ going to drop?"),
    (B, "calls for friday?"),
    (N, "when does $XYZ report?"),
    (N, "what time is the call?"),
    # no signal at all
    (N, "$XYZ earnings on thursday"),
    (N, "anyone here?"),
    (N, "posting the chart for reference"),
    (N, "conference call at 5pm"),
    (N, "how long have you held it"),
    (N, ""),
    # sarcasm that still carries the real direction
    (S, "great, down 40% on my calls 🙃"),
    # words inside longer words or tickers are not cues
    (N, "$RIP reports today"),
    (N, "the trip to the shop"),
]


@pytest.mark.parametrize(("expected", "text"), CASES)
def test_cue_label(expected: str, text: str) -> None:
    label, _ = combine(cue_score(text), 0.0, "vader")
    assert label == expected, (text, cue_score(text))


def test_the_table_is_big_and_balanced() -> None:
    assert len(CASES) >= 100
    labels = [label for label, _ in CASES]
    assert labels.count(B) >= 35 and labels.count(S) >= 35 and labels.count(N) >= 8


def test_longest_cue_wins_and_puts_printing_is_one_bearish_hit() -> None:
    result = cue_score("puts printing")
    assert result.hits == [("puts printing", -0.9)]
    assert cue_score("calls printing").hits == [("calls printing", 0.9)]


def test_negation_flips_and_dampens() -> None:
    plain = cue_score("buying").hits[0][1]
    negated = cue_score("not buying").hits[0][1]
    assert plain > 0 > negated
    assert abs(negated) < abs(plain)
    # a clause break ends the negation window
    assert cue_score("not me, buying").hits[0][1] > 0
    # beyond the window (3 words) it does not apply
    assert cue_score("not that I care about it buying").hits[0][1] > 0


def test_question_halves_the_weight() -> None:
    assert cue_score("going to tank?").hits[0][1] == pytest.approx(cue_score("going to tank").hits[0][1] / 2)
    assert cue_score("tank? no. moon").hits[-1][1] == cue_score("moon").hits[0][1]


def test_score_is_tanh_of_the_sum_and_bounded() -> None:
    result = cue_score("calls 🚀 🚀 to the moon bullish")
    assert result.score == pytest.approx(math.tanh(sum(w for _, w in result.hits)), abs=1e-6)
    assert -1.0 <= cue_score("📉 " * 200).score <= 1.0


def test_naive_agrees_with_ours_when_cues_do_not_overlap() -> None:
    for text in ["undervalued 🚀", "$AAPL 180p 8/16", "massively overvalued"]:
        assert cue_score_naive(text) == pytest.approx(cue_score(text).score, abs=1e-6)
    # overlapping cues: the naive scan counts "bought", "dip" and "bought the dip"; ours one hit
    assert cue_score("bought the dip").hits == [("bought the dip", 0.7)]
    assert cue_score_naive("bought the dip") > cue_score("bought the dip").score


# --- combine ---------------------------------------------------------------------------


def test_combine_without_cues_is_the_model_with_the_threshold() -> None:
    empty = CueResult(0.0, [])
    assert combine(empty, 0.3, "vader") == (B, 0.3)
    assert combine(empty, -0.3, "vader") == (S, -0.3)
    assert combine(empty, NEUTRAL_THRESHOLD / 2, "vader")[0] == N
    assert combine(empty, NEUTRAL_THRESHOLD, "vader")[0] == B


def test_cues_lead_and_finbert_gets_a_larger_share_than_vader() -> None:
    cue = cue_score("shorting this")  # bearish
    assert combine(cue, 0.6, "vader")[0] == S  # VADER's misplaced positivity does not win
    vader = combine(cue, 0.6, "vader")[1]
    finbert = combine(cue, 0.6, "ProsusAI/finbert")[1]
    assert finbert > vader
    assert combine(cue, 0.6, "vader")[1] == pytest.approx(0.75 * cue.score + 0.25 * 0.6, abs=1e-6)


# --- mention clauses / stance -------------------------------------------------------------


def test_mention_clauses_splits_sold_and_bought() -> None:
    clauses = mention_clauses("Sold my TSLA, all in NVDA calls", ["TSLA", "NVDA"])
    assert clauses == {"TSLA": "Sold my TSLA", "NVDA": "all in NVDA calls"}


def test_mention_clauses_but_semicolon_and_sentences() -> None:
    text = "$AMD looks weak but $NVDA is a rocket; $INTC whatever. $MU next"
    clauses = mention_clauses(text, ["AMD", "NVDA", "INTC", "MU"])
    assert clauses["AMD"] == "$AMD looks weak"
    assert clauses["NVDA"] == "$NVDA is a rocket"
    assert clauses["INTC"] == "$INTC whatever"
    assert clauses["MU"] == "$MU next"


def test_mention_clauses_following_clauses_stay_with_their_symbol() -> None:
    text = "$AAPL is boring. $TSLA though, ripping. Calls loaded."
    clauses = mention_clauses(text, ["AAPL", "TSLA"])
    assert clauses["AAPL"] == "$AAPL is boring"
    assert clauses["TSLA"].startswith("$TSLA though") and "Calls loaded" in clauses["TSLA"]


def test_mention_clauses_case_rules_and_fallbacks() -> None:
    # $ in any case; bare ticker only in upper case
    assert mention_clauses("sold $tsla, bought $nvda", ["TSLA", "NVDA"]) == {
        "TSLA": "sold $tsla",
        "NVDA": "bought $nvda",
    }
    one = mention_clauses("sold tsla, bought NVDA", ["TSLA", "NVDA"])
    assert one == {"TSLA": "sold tsla, bought NVDA", "NVDA": "sold tsla, bought NVDA"}  # only one found: whole text
    missing = mention_clauses("Sold my TSLA, all in NVDA calls", ["TSLA", "NVDA", "AMD"])
    assert missing["AMD"] == "Sold my TSLA, all in NVDA calls"
    # part of a longer word or ticker is not a mention
    assert mention_clauses("TSLAQ is a meme, NVDA moon", ["TSLA", "NVDA"])["TSLA"] == "TSLAQ is a meme, NVDA moon"
    assert mention_clauses("", ["TSLA"]) == {"TSLA": ""}
    assert mention_clauses("text", []) == {}


def test_mention_stance_gives_each_symbol_its_own_direction() -> None:
    stance = mention_stance("Sold my TSLA, all in NVDA calls", ["TSLA", "NVDA"], 0.0, "vader")
    assert stance["TSLA"].label == S
    assert stance["NVDA"].label == B
    assert ("calls", 0.6) in stance["NVDA"].cues
    both = mention_stance("$NVDA 🚀 $AMD 🚀", ["NVDA", "AMD"], 0.0, "vader")
    assert both["NVDA"].label == both["AMD"].label == B
    plain = mention_stance("$KO reports tuesday", ["KO"], -0.4, "vader")
    assert plain["KO"].label == S and plain["KO"].cues == []  # no cue: the article's model decides


# --- features and the lexicon ---------------------------------------------------------------


def test_cue_features_are_fixed_length_and_informative() -> None:
    bull = cue_features("calls 🚀")
    bear = cue_features("puts 📉")
    empty = cue_features("")
    assert len(bull) == len(bear) == len(empty) == len(FEATURE_NAMES)
    score = FEATURE_NAMES.index("score")
    assert bull[score] > 0 > bear[score]
    assert bull[FEATURE_NAMES.index("option_pos")] > 0 and bear[FEATURE_NAMES.index("option_neg")] > 0
    assert empty == [0.0] * len(FEATURE_NAMES)
    assert cue_features("not buying?")[FEATURE_NAMES.index("n_negated")] > 0


def test_lexicon_is_loaded_once() -> None:
    assert load_lexicon() is load_lexicon()


def test_lexicon_errors_are_reported() -> None:
    with pytest.raises(LexiconError, match="weight"):
        lexicon_build({"cue": [{"phrases": ["x"]}]})
    with pytest.raises(LexiconError, match="outside"):
        lexicon_build({"cue": [{"phrases": ["x"], "weight": 2}]})
    with pytest.raises(LexiconError, match="bad regex"):
        lexicon_build({"cue": [{"regex": "(", "name": "bad", "weight": 0.5}]})
    with pytest.raises(LexiconError, match="another weight"):
        lexicon_build({"cue": [{"phrases": ["moon"], "weight": 0.5}, {"phrases": ["Moon"], "weight": -0.5}]})


def test_an_operator_added_cue_works_without_code() -> None:
    lex = lexicon_build(
        {"cue": [{"phrases": ["wen lambo"], "weight": 0.6, "kind": "wsb"}], "settings": {"negators": ["not"]}}
    )
    assert cue_score("WEN   Lambo", lex).hits == [("wen lambo", 0.6)]
    assert cue_score("not wen lambo", lex).hits[0][1] < 0


def test_every_regex_cue_in_the_shipped_lexicon_compiles_alone() -> None:
    for name, pattern, _kind, weight in load_lexicon().cues:
        assert isinstance(pattern, re.Pattern) and -1 <= weight <= 1, name


# --- frozen output: speed-ups of cue_score must not change any result ---------------------

FROZEN = Path(__file__).resolve().parents[2] / "fixtures" / "cue_score_frozen.json"
EVAL_CSV = Path(__file__).resolve().parents[3] / "sentiment" / "data" / "stance_eval.csv"


def _mutated(texts: list[str], n: int, seed: int) -> list[str]:
    """Eval and generated texts glued with negators, clause and sentence breaks, "?", curly quotes, case."""
    rng = random.Random(seed)
    seps = [" ", ". ", "? ", ", ", "\n", " but ", "; ", "!? ", " and then ", " - ", "?", "...", " while "]
    pre = [
        "",
        "",
        "not ",
        "never ",
        "don't ",
        "don\u2019t ",
        "no way ",
        "i cant say ",
        "nobody is ",
        "stop ",
        "isn't it ",
        "NOT ",
    ]
    out = []
    for _ in range(n):
        s = ""
        for part in rng.sample(texts, rng.randint(1, 4)):
            s += rng.choice(pre) + part + rng.choice(seps)
        r = rng.random()
        if r < 0.2:
            s = s.replace("'", "\u2019")
        elif r < 0.3:
            s = s.upper()
        elif r < 0.4:
            s = s.replace("\U0001f680", "\U0001f680\ufe0f")
        if rng.random() < 0.3:
            s = s.rstrip() + rng.choice(["?", "??", " ?", "!", "."])
        out.append(s)
    return out


def _digest(texts: list[str]) -> str:
    h = hashlib.sha256()
    for text in texts:
        r = cue_score(text)
        h.update(repr((r.score, r.hits, r.detail)).encode())
    return h.hexdigest()


@pytest.fixture(scope="module")
def frozen() -> dict:
    return json.loads(FROZEN.read_text(encoding="utf-8"))


def test_cue_score_matches_frozen_cases(frozen):
    """Every case (the whole eval set, generated comments, mutated edge cases): score, hits and detail."""
    cases = frozen["cases"]
    eval_texts = [row["text"] for row in csv.DictReader(EVAL_CSV.open(encoding="utf-8"))]
    assert set(eval_texts) <= {case[0] for case in cases}
    for text, score, hits, detail in cases:
        got = cue_score(text)
        assert (got.score, got.hits, got.detail) == (
            score,
            [tuple(h) for h in hits],
            tuple(tuple(d) for d in detail),
        ), text


def test_cue_score_matches_frozen_benchmark_texts(frozen):
    """The benchmark's 20,000 generated comments and 5,000 mutated texts, by digest of the full results."""
    reddit = generate_comments(20_000, seed=7)
    assert _digest(reddit) == frozen["reddit_20000_seed7_sha256"]
    eval_texts = [row["text"] for row in csv.DictReader(EVAL_CSV.open(encoding="utf-8"))]
    mutated = _mutated(eval_texts + reddit[:200], 5000, 12)
    assert _digest(mutated) == frozen["mutated_5000_seed12_sha256"]


def _general(lex):
    """The same lexicon without the fast scan: `cue_score` then takes the general path (one regex)."""
    return dataclasses.replace(lex, scan=None, emoji_scan=None, phrase_info=None)


def test_fast_scan_matches_the_general_path_on_mutated_texts():
    lex = load_lexicon()
    assert lex.scan is not None
    general = _general(lex)
    eval_texts = [row["text"] for row in csv.DictReader(EVAL_CSV.open(encoding="utf-8"))]
    texts = _mutated(eval_texts + generate_comments(300, seed=3), 3000, 99)
    for text in texts:
        assert cue_score(text, lex) == cue_score(text, general), text


TRICKY_LEXICON = {
    "settings": {"negators": ["not", "no", "don't", "aint", "never"], "negation_window": 3},
    "cue": [
        {"phrases": ["not selling", "never selling"], "weight": 0.6},
        {"phrases": ["t rex", "rex"], "weight": 0.3},  # starts after the apostrophe of "don't"
        {"phrases": ["don"], "weight": 0.2},  # "don" + "'t": a negator that begins inside a phrase
        {"phrases": ["drop a", "moon", "to the moon", "sell", "calls"], "weight": -0.4},
        {"phrases": ["short"], "weight": -0.3},
        {
            "regex": r"\bshorts?\s+(?:are\s+)?(?:trapped|squeezed)\b",
            "anchors": ["short", "shorts"],
            "name": "sq",
            "weight": 0.7,
        },
        {"emoji": ["🚀", "🌈🐻", "💎🙌", "💎"], "weight": 0.5},
        {"regex": r"(?<![\w/.])\$?\d{1,5}c(?![\w])", "name": "call_strike", "digits": True, "weight": 0.7},
    ],
}
TRICKY_TEXTS = [
    "don't rex",
    "i don't sell",
    "the don't",
    "don' t rex",
    "don",
    "don't",
    "not selling 🚀",
    "🚀not selling",
    "moon🚀🚀 to the moon?",
    "'not selling'",
    "'not' selling calls",
    "drop aint",
    "drop a",
    "drop ain't calls",
    "$moon moon$ $drop a",
    "shorts are trapped, not selling",
    "short are squeezed? no",
    "no short squeezed 💎🙌💎",
    "🌈🐻 sell? not 🌈 🐻",
    "never selling never-selling NEVER\nSELLING",
    "200c not selling 300c? moon",
    "no,moon;not-selling but to  the  moon!",
    "aint no moon",
    "x" * 70 + " not " + "y" * 70 + " sell?",
]


def test_fast_scan_matches_the_general_path_on_edge_cases():
    lex = lexicon_build(TRICKY_LEXICON)
    assert lex.scan is not None
    general = _general(lex)
    texts = TRICKY_TEXTS + _mutated(TRICKY_TEXTS, 2000, 5)
    for text in texts:
        assert cue_score(text, lex) == cue_score(text, general), text
    assert cue_score("i don't sell", lex).hits == [("don", 0.2), ("sell", 0.28)]


def test_lexicons_the_fast_scan_cannot_serve_take_the_general_path():
    assert lexicon_build({"cue": [{"phrases": ["s&p"], "weight": 0.5}]}).scan is None
    assert lexicon_build({"cue": [{"emoji": [":)"], "weight": 0.5}]}).scan is None  # ASCII: not only in non-ASCII text
    assert cue_score("ok :)", lexicon_build({"cue": [{"emoji": [":)"], "weight": 0.5}]})).hits == [(":)", 0.5)]
    assert lexicon_build({"cue": [{"regex": r"\bwen\b", "name": "wen", "weight": 0.5}]}).scan is None
    assert (
        lexicon_build({"cue": [{"phrases": ["up"], "weight": 0.5}], "settings": {"negators": ["no way"]}}).scan is None
    )
    lex = lexicon_build({"cue": [{"phrases": ["s&p", "moon"], "weight": 0.5}], "settings": {"negators": ["not"]}})
    assert cue_score("not s&p moon?", lex).hits == [("s&p", -0.175), ("moon", -0.175)]


# --- a position and its outcome are two cues (issue 30 item 3) ---------------------------------------


@pytest.mark.parametrize(
    ("label", "text"),
    [
        (S, "My TSLA 242c 8/23 expiring worthless lmao"),  # a long that lost: bearish
        (S, "my $NVDA calls expired worthless"),
        (S, "lost 80% on my AMD leaps"),
        (S, "still bagholding GME, bought at 80"),
        (S, "holding $PTON since 2021, lost it all"),
        (B, "TSLA 242c 8/23 printing"),  # the same position without the loss: still bullish
        (B, "bought calls on NVDA. the ones I had last month expired worthless but this time is different"),
    ],
)
def test_a_loss_outcome_on_a_long_position_reads_bearish(label, text):
    assert combine(cue_score(text), 0.0, "vader")[0] == label, (text, cue_score(text))


def test_the_outcome_only_turns_long_positions_of_its_own_sentence():
    hits = dict(cue_score("My TSLA 242c 8/23 expiring worthless lmao").hits)
    assert hits == {"call_strike": -0.7, "expiring worthless": -0.3}
    # A position in another sentence keeps its sign.
    per = cue_score("Bought 300c today. Last month 250c expired worthless").hits
    assert [w for n, w in per if n == "call_strike"] == [0.7, -0.7]
    # The stance of the demo's line, as analyze_sentiment stores it with VADER.
    stance = mention_stance("My TSLA 242c 8/23 expiring worthless lmao", ["TSLA"], 0.0, "vader")
    assert stance["TSLA"].label == S


def test_outcome_cue_validation():
    with pytest.raises(LexiconError, match="outcome 'win'"):
        lexicon_build({"cue": [{"phrases": ["x"], "weight": 0.1, "outcome": "win"}]})
    lex = lexicon_build({"cue": [{"phrases": ["Went Worthless"], "weight": -0.3, "outcome": "loss"}]})
    assert lex.loss_outcomes == frozenset({"went worthless"}) and lex.loss_outcome_factor == -1.0


def test_eval_figures_do_not_get_worse():
    """cues + VADER on the shipped eval set: 3-class macro recall 0.877 before the outcome cues."""
    from sentiment.stance.baseline import CuesVaderScorer
    from sentiment.stance.linear import evaluate

    rows = list(csv.DictReader(EVAL_CSV.open(encoding="utf-8")))
    metrics = evaluate(CuesVaderScorer().score, [r["text"] for r in rows], [r["label"] for r in rows])
    assert metrics["macro_recall"] >= 0.877
