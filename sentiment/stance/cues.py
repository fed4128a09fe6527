"""Retail-investor stance cues: the bullish/bearish signal of "$TSLA 250p", "puts printing" or
"bought the dip" that VADER and FinBERT miss, scored from the lexicon in cues.toml.

`cue_score` scores a text, `combine` mixes it with a model score, `mention_stance` gives each
ticker its own clauses. Pure Python: no Django, no torch. Design: docs/design/cues.md.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from sentiment.stance.lexicon import KINDS, Lexicon, load_lexicon, phrase_normalise

BULLISH, BEARISH, NEUTRAL = "bullish", "bearish", "neutral"
STANCE_LABELS = (BULLISH, BEARISH, NEUTRAL)

NEUTRAL_THRESHOLD = 0.05
MODEL_SHARE = {"vader": 0.25, "finbert": 0.5}
DEFAULT_MODEL_SHARE = 0.5

FEATURE_NAMES: tuple[str, ...] = (
    *(f"{kind}_{sign}" for kind in KINDS for sign in ("pos", "neg")),
    "score",
    "n_hits",
    "n_negated",
    "question",
    "exclamation",
)

_CLAUSE_BREAK = re.compile(r"[.!?;,\n]|\s(?:but|and then|while|whereas)\s")
_SENTENCE_END = re.compile(r"[.!?\n]")
_WORD = re.compile(r"[\w']+")
_DIGIT = re.compile(r"\d")
_ASCII_DIGIT = re.compile(r"[0-9]")  # the same as `_DIGIT` on ASCII text, and quicker
_LONG_KINDS = frozenset({"option", "position"})


class CueResult(NamedTuple):
    """score in [-1, 1]; hits = [(cue name, weight after negation/question)].

    `detail` is per hit (kind, weight, negated, question), for cue_features. A
    NamedTuple, not a dataclass: it is built once per text on the hot path.
    """

    score: float
    hits: list[tuple[str, float]]
    detail: tuple[tuple[str, float, bool, bool], ...] = ()


@dataclass(frozen=True)
class Stance:
    label: str
    score: float
    cues: list[tuple[str, float]]


def _prepare(text: str) -> str:
    """Lower case, curly apostrophes straightened, emoji variation selectors dropped.

    Every replacement keeps one character per character, so offsets are the text's own.
    """
    text = text.lower()
    if "\u2019" in text:
        text = text.replace("\u2019", "'")
    if "\ufe0f" in text:
        text = text.replace("\ufe0f", " ")
    return text


def _negated(lowered: str, start: int, lex: Lexicon) -> bool:
    before = lowered[max(0, start - 60) : start]
    breaks = list(_CLAUSE_BREAK.finditer(before))
    if breaks:
        before = before[breaks[-1].end() :]
    words = _WORD.findall(before)[-lex.negation_window :]
    return any(w in lex.negators or w.replace("'", "") in lex.negators for w in words)


def _phrase_entry(name: str, start: int, end: int, lowered: str, lex: Lexicon) -> tuple[str, str, float, int]:
    """(name, kind, weight, end) of a phrase match: its lexicon entry, or a longer anchored regex cue."""
    entry = lex.phrases.get(name)
    if entry is None:  # "let's", "all-time", "loaded\n up": the key is the normalised text
        name = phrase_normalise(name)
        entry = lex.phrases[name]
    kind, weight = entry
    anchored = lex.anchored
    if anchored:
        first = name.partition(" ")[0]
        if first in anchored:
            combined = lex.anchored_any.get(first) if lex.anchored_any is not None else None
            if combined is not None:
                longer = combined.match(lowered, start)
                if longer is not None:
                    _pattern, regex_name, regex_kind, regex_weight = anchored[first][int(longer.lastgroup[1:])]
                    return regex_name, regex_kind, regex_weight, longer.end()
                return name, kind, weight, end
            for pattern, regex_name, regex_kind, regex_weight in anchored[first]:
                longer = pattern.match(lowered, start)
                if longer is not None:
                    return regex_name, regex_kind, regex_weight, longer.end()
    return name, kind, weight, end


def _scan_general(lowered: str, lex: Lexicon, found: list, taken: list[tuple[int, int]]) -> None:
    """The matches of `lex.regex` (any lexicon): append the hits to `found`."""
    emoji, regex_cues = lex.emoji, lex.regex_cues
    consumed = 0
    for match in lex.regex.finditer(lowered):
        start = match.start()
        if start < consumed:
            continue
        end = match.end()
        if taken and any(start < b and end > a for a, b in taken):
            continue
        group = match.lastgroup
        if group == "p":
            name, kind, weight, end = _phrase_entry(match.group(), start, end, lowered, lex)
        elif group == "e":
            name = match.group()
            kind, weight = emoji[name]
        else:
            name, kind, weight = regex_cues[group]
        consumed = end
        if weight:  # weight 0: an absorber, it only stops a shorter cue inside it from counting
            found.append((start, end, name, kind, weight, group == "e"))


def _scan_fast(lowered: str, lex: Lexicon, found: list, taken: list[tuple[int, int]]) -> bool:
    """The hits of `_scan_general` (appended to `found`), faster; returns whether `negator_regex` would match.

    `lex.scan` runs on " " + lowered, so every phrase start follows a character, which the
    scan consumes: `re` skips in C to the next non-word character and tries the phrase trie
    (then the negator trie) only there. Its phrase matches are `regex.finditer`'s (a phrase
    starts and ends with a word character, so none can start where the previous one ends),
    a match's start in the padded text is the phrase's start in `lowered`; emoji come from
    `lex.emoji_scan`, only in non-ASCII text, and never overlap a phrase. A negator inside a
    phrase match is not seen by the scan: the phrases whose text may hold one are flagged,
    and for them `negator_regex` is asked.
    """
    matches = list(lex.scan.finditer(" " + lowered))
    candidates = [(m.start(), m.end() - 1, m.group(1), False) for m in matches if m.lastindex]
    may_negate = len(candidates) < len(matches)  # the other matches are negators
    if not lowered.isascii():
        emoji_found = [(m.start(), m.end(), m.group(), True) for m in lex.emoji_scan.finditer(lowered)]
        if emoji_found:
            candidates += emoji_found
            candidates.sort()
    info, emoji = lex.phrase_info, lex.emoji
    consumed = 0
    for start, end, name, is_emoji in candidates:
        if is_emoji:
            kind, weight = emoji[name]
            anchor = None
        else:
            entry = info.get(name)
            if entry is None:  # "let's", "all-time", "loaded\n up": the key is the normalised text
                name = phrase_normalise(name)
                entry = info[name]
            kind, weight, anchor, negator_inside = entry
            if negator_inside and not may_negate:
                negator = lex.negator_regex.search(lowered, start)
                may_negate = negator is not None and negator.start() < end
        if start < consumed:
            continue
        if taken and any(start < b and end > a for a, b in taken):
            continue
        if anchor is not None:  # an anchored regex cue that matches here wins (see `_phrase_entry`)
            longer = anchor[0].match(lowered, start)
            if longer is not None:
                _pattern, name, kind, weight = anchor[1][longer.lastindex - 1]
                end = longer.end()
        consumed = end
        if weight:  # weight 0: an absorber, it only stops a shorter cue inside it from counting
            found.append((start, end, name, kind, weight, is_emoji))
    return may_negate


def _loss_outcomes_apply(lowered: str, found: list, lex: Lexicon) -> list:
    """A long position ("242c", "calls", "holding") in the sentence of a loss outcome
    ("expired worthless", "lost", "bagholding") is multiplied by `loss_outcome_factor`:
    the position and what became of it are two cues, and a long that lost reads bearish."""
    outcomes = lex.loss_outcomes
    losses = [hit[0] for hit in found if hit[2] in outcomes]
    if not losses:
        return found
    out = []
    for hit in found:
        start, end, name, kind, weight, is_emoji = hit
        if weight > 0 and kind in _LONG_KINDS and name not in outcomes:
            for loss in losses:
                a, b = (end, loss) if loss >= end else (loss, start)
                if _SENTENCE_END.search(lowered, a, b) is None:  # no sentence end between them
                    hit = (start, end, name, kind, round(weight * lex.loss_outcome_factor, 4), is_emoji)
                    break
        out.append(hit)
    return out


def cue_score(text: str, lexicon: Lexicon | None = None) -> CueResult:
    """Cues in `text` and their combined score in [-1, 1] (docs/design/cues.md)."""
    if not text:
        return CueResult(0.0, [])
    lex = lexicon or load_lexicon()
    lowered = _prepare(text)
    # (start, end, name, kind, weight, is_emoji); regex cues that need a digit first, so they win overlaps
    found: list[tuple[int, int, str, str, float, bool]] = []
    taken: list[tuple[int, int]] = []
    if lex.digit_regex is not None and (_ASCII_DIGIT if lowered.isascii() else _DIGIT).search(lowered):
        regex_cues = lex.regex_cues
        for match in lex.digit_regex.finditer(lowered):
            name, kind, weight = regex_cues[match.lastgroup]
            found.append((match.start(), match.end(), name, kind, weight, False))
            taken.append(match.span())
    digit_hits = len(found)
    if lex.scan is None:
        _scan_general(lowered, lex, found, taken)
        may_negate = None
    else:
        may_negate = _scan_fast(lowered, lex, found, taken)
    if not found:
        return CueResult(0.0, [])
    if digit_hits:
        found.sort()
    if lex.loss_outcomes:
        found = _loss_outcomes_apply(lowered, found, lex)
    hits: list[tuple[str, float]] = []
    detail: list[tuple[str, float, bool, bool]] = []
    total = 0.0
    # Most texts have no negator and no "?": one scan each decides whether any hit needs the per-hit checks.
    if may_negate is None:
        may_negate = lex.negator_regex.search(lowered) is not None
    if not may_negate and "?" not in lowered:
        for _start, _end, name, kind, weight, _is_emoji in found:
            hits.append((name, weight))
            detail.append((kind, weight, False, False))
            total += weight
        return CueResult(round(math.tanh(total), 6), hits, tuple(detail))
    may_ask = "?" in lowered
    sentence_end = -1  # the position of the sentence end found for the previous hit
    asked = False
    for start, end, name, kind, weight, is_emoji in found:
        negated = question = False
        if may_negate and not is_emoji and _negated(lowered, start, lex):
            negated = True
            weight = round(weight * lex.negation_factor, 4)
        if may_ask:
            # hits come in order and do not overlap: a hit ending before the sentence end
            # found for the previous one is in the same sentence
            if end > sentence_end:
                brk = _SENTENCE_END.search(lowered, end)
                sentence_end, asked = (brk.start(), brk.group() == "?") if brk else (len(lowered), False)
            if asked:
                question = True
                weight = round(weight * lex.question_factor, 4)
        hits.append((name, weight))
        detail.append((kind, weight, negated, question))
        total += weight
    return CueResult(round(math.tanh(total), 6), hits, tuple(detail))


def cue_score_naive(text: str, lexicon: Lexicon | None = None) -> float:
    """The obvious way, for the benchmark only: every cue's own regex scanned separately.

    No overlap resolution, negation or questions: it is the floor of the cost, not a
    second implementation to keep in step.
    """
    lex = lexicon or load_lexicon()
    lowered = _prepare(text)
    total = 0.0
    for _name, pattern, _kind, weight in lex.cues:
        for _match in pattern.finditer(lowered):
            total += weight
    return math.tanh(total)


def model_share(model_name: str) -> float:
    name = (model_name or "").lower()
    if name.startswith("vader"):
        return MODEL_SHARE["vader"]
    if "finbert" in name:
        return MODEL_SHARE["finbert"]
    return DEFAULT_MODEL_SHARE


def combine(cue: CueResult, model_score: float, model_name: str) -> tuple[str, float]:
    """(label, score) from cues and an article-level model score; the rule: docs/design/cues.md."""
    model_score = max(-1.0, min(1.0, float(model_score or 0.0)))
    if cue.hits:
        beta = model_share(model_name)
        score = (1.0 - beta) * cue.score + beta * model_score
    else:
        score = model_score
    score = round(max(-1.0, min(1.0, score)), 6)
    if score >= NEUTRAL_THRESHOLD:
        return BULLISH, score
    if score <= -NEUTRAL_THRESHOLD:
        return BEARISH, score
    return NEUTRAL, score


# --- per-mention stance -------------------------------------------------------------------


def _symbol_regex(symbol: str) -> re.Pattern[str]:
    sym = re.escape(symbol.upper())
    # $TSLA in any case; TSLA as an upper-case word. Not part of a longer word or ticker.
    return re.compile(rf"(?<![\w$])(?:\$(?i:{sym})|{sym})(?![\w])")


@lru_cache(maxsize=4096)
def _symbol_pattern(symbol: str) -> re.Pattern[str]:
    return _symbol_regex(symbol)


def _clauses(text: str) -> list[tuple[int, int]]:
    spans = []
    start = 0
    for brk in _CLAUSE_BREAK.finditer(text):
        if brk.start() > start:
            spans.append((start, brk.start()))
        start = brk.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def mention_clauses(text: str, symbols: list[str] | tuple[str, ...] | set[str]) -> dict[str, str]:
    """{symbol: the stretch of `text` about it}; the rule: docs/design/cues.md."""
    symbols = [s.upper().lstrip("$") for s in symbols]
    if not symbols:
        return {}
    spans = _clauses(text)
    # which symbols each clause names
    named: list[set[str]] = []
    for a, b in spans:
        part = text[a:b]
        named.append({s for s in symbols if _symbol_pattern(s).search(part)})
    found = {s for names in named for s in names}
    out: dict[str, str] = {}
    whole = text.strip()
    if len(found) <= 1:
        return dict.fromkeys(symbols, whole)
    first_named = next(i for i, names in enumerate(named) if names)
    for sym in symbols:
        if sym not in found:
            out[sym] = whole
            continue
        pieces: list[int] = []
        i = 0
        while i < len(spans):
            if sym in named[i]:
                # the clauses before the first named one belong to the first symbol(s)
                if i == first_named:
                    pieces.extend(range(0, i))
                pieces.append(i)
                j = i + 1
                while j < len(spans) and not named[j]:
                    pieces.append(j)
                    j += 1
                i = j
            else:
                i += 1
        out[sym] = _join(text, [spans[k] for k in sorted(set(pieces))])
    return out


def _join(text: str, spans: list[tuple[int, int]]) -> str:
    """The clauses, with the original text between adjacent ones kept."""
    if not spans:
        return text.strip()
    parts = [text[spans[0][0] : spans[0][1]]]
    for (_, prev_end), (a, b) in zip(spans, spans[1:], strict=False):
        parts.append(text[prev_end:a] if a - prev_end <= 3 else " ")
        parts.append(text[a:b])
    return "".join(parts).strip()


def mention_stance(
    text: str,
    symbols: list[str] | tuple[str, ...] | set[str],
    article_model_score: float,
    model_name: str,
) -> dict[str, Stance]:
    """{symbol: Stance} from each symbol's clauses and the article's model score (computed once by the caller)."""
    out: dict[str, Stance] = {}
    cache: dict[str, CueResult] = {}
    for sym, clause in mention_clauses(text, symbols).items():
        cue = cache.get(clause)
        if cue is None:
            cue = cache[clause] = cue_score(clause)
        label, score = combine(cue, article_model_score, model_name)
        out[sym] = Stance(label, score, list(cue.hits))
    return out


# --- features for the trained model ------------------------------------------------------


def cue_features(text: str) -> list[float]:
    """A fixed-length vector (len(FEATURE_NAMES)) describing the cues in `text`."""
    result = cue_score(text)
    vec = [0.0] * len(FEATURE_NAMES)
    negated = question = 0
    for kind, weight, neg, quest in result.detail:
        k = KINDS.index(kind)
        if weight > 0:
            vec[2 * k] += weight
        else:
            vec[2 * k + 1] -= weight
        negated += neg
        question = question or quest
    base = 2 * len(KINDS)
    vec[base] = result.score
    vec[base + 1] = min(len(result.hits), 10) / 10.0
    vec[base + 2] = min(negated, 5) / 5.0
    vec[base + 3] = 1.0 if (question or "?" in text) else 0.0
    vec[base + 4] = 1.0 if "!" in text else 0.0
    return vec
