"""The retail-cue lexicon: read `sentiment/stance/cues.toml` and compile it for `sentiment.stance.cues`.

The operator extends the TOML file (no code change); `load_lexicon` validates it
(a bad entry is a `LexiconError` naming the entry) and compiles it once per process:
phrase and emoji cues as character tries, so the regex engine does not try hundreds
of alternatives at every position, the option/percent regexes as one pass that runs
only on texts with a digit, and anchored regex cues keyed by their anchor word.
Scoring with the compiled lexicon is `sentiment.stance.cues`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

LEXICON_PATH = Path(__file__).resolve().parent / "cues.toml"
KINDS = ("option", "position", "wsb", "sentiment", "fundamental", "technical", "price", "emoji", "other")


class LexiconError(ValueError):
    """cues.toml is malformed: a missing weight, a bad regex, a duplicated phrase..."""


@dataclass(frozen=True)
class Lexicon:
    regex: re.Pattern[str]  # anchorless regex cues (slow path), the phrase trie, the emoji trie
    digit_regex: re.Pattern[str] | None  # `digits = true` regex cues, run only on texts with a digit
    anchored: dict[str, tuple[tuple[re.Pattern[str], str, str, float], ...]]  # word -> (regex, name, kind, weight)
    phrases: dict[str, tuple[str, float]]  # normalised phrase -> (kind, weight)
    emoji: dict[str, tuple[str, float]]
    regex_cues: dict[str, tuple[str, str, float]]  # group -> (name, kind, weight)
    cues: tuple[tuple[str, re.Pattern[str], str, float], ...]  # (name, own regex, kind, weight): the naive way
    negators: frozenset[str]
    negator_regex: re.Pattern[str]
    negation_window: int
    negation_factor: float
    question_factor: float
    # The fast scan (`_scan_fast`), run on " " + text: a non-word character and the phrase
    # after it (group 1), or a negator after it (no group). None when the lexicon has
    # something it cannot serve exactly (see `_build`): then `regex` alone, as before.
    scan: re.Pattern[str] | None = None
    emoji_scan: re.Pattern[str] | None = None  # the emoji trie behind a character-range prefix
    # normalised phrase -> (kind, weight, (its first word's `anchored_any`, `anchored` cues) or None,
    # whether a negator may be inside)
    phrase_info: dict[str, tuple[str, float, tuple[re.Pattern[str], tuple] | None, bool]] | None = None
    anchored_any: dict[str, re.Pattern[str]] | None = None  # word -> its anchored regexes as one, group a<i>
    # `outcome = "loss"` cues (phrase keys, regex names): a long position in their sentence
    # is multiplied by `loss_outcome_factor` ("calls ... expired worthless" reads bearish).
    loss_outcomes: frozenset[str] = frozenset()
    loss_outcome_factor: float = -1.0


def phrase_normalise(phrase: str) -> str:
    """The lookup key of a phrase or of matched text: lower case, no apostrophes, single spaces."""
    return " ".join(phrase.lower().replace("'", "").replace("\u2019", "").replace("-", " ").split())


def _phrase_piece(ch: str) -> str:
    if ch == " ":
        return r"[\s\-]+"
    return re.escape(ch)


def _trie_regex(words: list[str], piece=re.escape) -> str:
    """One regex matching any of `words`, longest first, shaped as a trie.

    Python's `re` tries the branches of an alternation one by one; with the shared
    prefixes folded together only the branches that start with the current
    character are tried.
    """
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = True

    def render(node: dict[str, Any]) -> str:
        terminal = "" in node
        branches = []
        for ch in sorted(k for k in node if k):
            if ch == "'":
                branches.append("'?" + render(node[ch]))
            else:
                branches.append(piece(ch) + render(node[ch]))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if terminal:
            return f"(?:{body})?"
        return body

    # An apostrophe in a phrase is optional: "lets go" matches the phrase "let's go".
    return render(trie)


def _emoji_scan_regex(symbols: list[str]) -> str:
    """The emoji trie, first character consumed by a few code point ranges, then told apart by lookbehind.

    The same matches as `_trie_regex(symbols)`. A pattern that starts with a character set
    lets `re` skip in C to the next candidate, and a set of a few ranges is checked quickly
    (the trie's own first characters, above U+FFFF, would be a list tested one by one).
    """
    by_first: dict[str, list[str]] = {}
    for symbol in symbols:
        by_first.setdefault(symbol[0], []).append(symbol[1:])
    points = sorted(ord(ch) for ch in by_first)
    ranges: list[list[int]] = []
    for point in points:
        if ranges and point - ranges[-1][1] <= 256:
            ranges[-1][1] = point
        else:
            ranges.append([point, point])
    prefix = "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    branches = []
    for first in sorted(by_first):
        rests = [rest for rest in by_first[first] if rest]
        rest = _trie_regex(sorted(rests)) if rests else ""
        if rest and "" in by_first[first]:
            rest = f"(?:{rest})?"
        branches.append(f"(?<={re.escape(first)}){rest}")
    return f"[{prefix}](?:{'|'.join(branches)})"


def _anchored_any(anchored: dict[str, list[tuple[re.Pattern[str], str, str, float]]]) -> dict[str, re.Pattern[str]]:
    """Per anchor word, its regexes as one alternation: one `match` call, the first regex that matches wins."""
    out = {}
    for word, cues in anchored.items():
        try:
            out[word] = re.compile("|".join(f"(?P<a{i}>{pattern.pattern})" for i, (pattern, *_) in enumerate(cues)))
        except re.error:  # e.g. inline flags: `_phrase_entry` tries the regexes one by one
            continue
    return out


def lexicon_build(data: dict[str, Any]) -> Lexicon:
    settings = data.get("settings", {})
    phrases: dict[str, tuple[str, float]] = {}
    emoji: dict[str, tuple[str, float]] = {}
    regex_cues: dict[str, tuple[str, str, float]] = {}
    naive: list[tuple[str, re.Pattern[str], str, float]] = []
    regex_parts: list[str] = []
    digit_parts: list[str] = []
    anchored: dict[str, list[tuple[re.Pattern[str], str, str, float]]] = {}
    forms: set[str] = set()
    loss_outcomes: set[str] = set()
    for i, cue in enumerate(data.get("cue", [])):
        where = f"cues.toml [[cue]] #{i + 1}"
        if "weight" not in cue:
            raise LexiconError(f"{where}: no weight")
        outcome = cue.get("outcome")
        if outcome not in (None, "loss"):
            raise LexiconError(f'{where}: outcome {outcome!r}: the only outcome is "loss"')
        if outcome and cue.get("emoji"):
            raise LexiconError(f"{where}: an outcome cue takes phrases or a regex, not emoji")
        if outcome:
            loss_outcomes.update(phrase_normalise(p) for p in cue.get("phrases", []))
            if cue.get("name") and "regex" in cue:
                loss_outcomes.add(cue["name"])
        weight = float(cue["weight"])
        if not -1.0 <= weight <= 1.0:
            raise LexiconError(f"{where}: weight {weight} is outside [-1, 1]")
        kind = cue.get("kind", "other")
        kind = kind if kind in KINDS else "other"
        if "regex" in cue:
            name = cue.get("name")
            if not name:
                raise LexiconError(f"{where}: a regex cue needs a name")
            try:
                compiled = re.compile(cue["regex"])
            except re.error as exc:
                raise LexiconError(f"{where} ({name}): bad regex: {exc}") from exc
            if compiled.groups:
                raise LexiconError(f"{where} ({name}): use (?:...) groups only")
            naive.append((name, compiled, kind, weight))
            if cue.get("anchors"):
                for word in cue["anchors"]:
                    anchored.setdefault(phrase_normalise(word), []).append((compiled, name, kind, weight))
                continue
            group = f"r{len(regex_cues)}"
            regex_cues[group] = (name, kind, weight)
            (digit_parts if cue.get("digits") else regex_parts).append(f"(?P<{group}>{cue['regex']})")
        for phrase in cue.get("phrases", []):
            key = phrase_normalise(phrase)
            if not key:
                raise LexiconError(f"{where}: empty phrase")
            if key in phrases and phrases[key] != (kind, weight):
                raise LexiconError(f"{where}: phrase {phrase!r} is already in the lexicon with another weight")
            phrases[key] = (kind, weight)
            # The form the trie matches: apostrophes kept (and optional), "-" as a space.
            forms.add(" ".join(phrase.lower().replace("\u2019", "'").replace("-", " ").split()))
        for symbol in cue.get("emoji", []):
            symbol = symbol.replace("\ufe0f", "")
            if symbol in emoji:
                raise LexiconError(f"{where}: emoji {symbol!r} is already in the lexicon")
            emoji[symbol] = (kind, weight)
        if not any(k in cue for k in ("regex", "phrases", "emoji")):
            raise LexiconError(f"{where}: needs regex, phrases or emoji")

    for word in anchored:  # the phrase scan must stop at an anchor (weight 0 unless it is a cue too)
        phrases.setdefault(word, ("other", 0.0))
        forms.add(word)
    for form in sorted(forms):
        kind, weight = phrases[phrase_normalise(form)]
        if weight == 0.0:
            continue
        pattern = "".join("'?" if ch == "'" else _phrase_piece(ch) for ch in form)
        naive.append((form, re.compile(rf"(?<![\w$]){pattern}(?!\w)"), kind, weight))
    for symbol, (kind, weight) in emoji.items():
        naive.append((symbol, re.compile(re.escape(symbol)), kind, weight))

    # Regex cues first (they win ties at one position), then phrases (a trie, longest
    # first, on word boundaries; `$` in front means a ticker such as $RIP), then emoji.
    parts = list(regex_parts)
    if phrases:
        parts.append(rf"(?<![\w$])(?P<p>{_trie_regex(sorted(forms), _phrase_piece)})(?!\w)")
    if emoji:
        parts.append(f"(?P<e>{_trie_regex(sorted(emoji))})")
    raw_negators = [w.lower().replace("\u2019", "'") for w in settings.get("negators", [])]
    negators = frozenset(phrase_normalise(w) for w in raw_negators)
    negator_trie = _trie_regex(sorted(set(raw_negators)))
    # The fast scan (`_scan_fast`): the same hits as `regex`, found by trying the phrase trie
    # only after a non-word character (a character-set prefix, which `re` skips to in C) and
    # emoji only in non-ASCII text. Valid when there are no anchorless regex cues without
    # `digits`, phrases are words (start and end with a word character, apostrophes and spaces
    # inside), negators single words, emoji characters non-ASCII and never part of a phrase
    # match, and each anchor word's regexes combine into one.
    phrase_chars = {ch for form in forms for ch in form}
    emoji_chars = {ch for symbol in emoji for ch in symbol}
    # emoji are looked for in non-ASCII text only
    fast = not regex_parts and all(not ch.isascii() and not re.match(r"[\w\s]", ch) for ch in emoji_chars)
    fast = fast and not (phrase_chars & emoji_chars)
    fast = fast and all(re.fullmatch(r"\w(?:[\w' ]*\w)?", form) for form in forms)
    fast = fast and all(re.fullmatch(r"\w(?:[\w']*\w)?", word) for word in raw_negators)
    anchored_any = _anchored_any(anchored)
    fast = fast and len(anchored_any) == len(anchored)
    scan = emoji_scan = phrase_info = None
    if fast:
        trie = _trie_regex(sorted(forms), _phrase_piece) if forms else r"(?!x)x"
        neg = rf"(?={negator_trie}(?![\w']))" if raw_negators else r"(?!x)x"
        # `[^\w$]` before a phrase, `[^\w']` before a negator: the lookbehinds of `regex` and `negator_regex`
        scan = re.compile(rf"[^\w](?:(?<!\$)({trie})(?!\w)|(?<!'){neg})")
        emoji_scan = re.compile(_emoji_scan_regex(sorted(emoji)) if emoji else r"(?!x)x")

        def negator_inside(key: str) -> bool:
            # a negator among the phrase's words, or one that begins with its last word ("don" + "'t")
            words = key.split(" ")
            return any(w in negators for w in words) or any(n.startswith(words[-1]) for n in negators)

        def anchor(key: str) -> tuple[re.Pattern[str], tuple] | None:
            first = key.partition(" ")[0]
            return (anchored_any[first], tuple(anchored[first])) if first in anchored else None

        phrase_info = {key: (kind, weight, anchor(key), negator_inside(key)) for key, (kind, weight) in phrases.items()}
    return Lexicon(
        regex=re.compile("|".join(parts) or r"(?!x)x"),
        digit_regex=re.compile("|".join(digit_parts)) if digit_parts else None,
        anchored={word: tuple(cues) for word, cues in anchored.items()},
        phrases=phrases,
        emoji=emoji,
        regex_cues=regex_cues,
        cues=tuple(naive),
        negators=negators,
        negator_regex=re.compile(rf"(?<![\w'])(?:{negator_trie})(?![\w'])" if raw_negators else r"(?!x)x"),
        negation_window=int(settings.get("negation_window", 3)),
        negation_factor=float(settings.get("negation_factor", -0.7)),
        question_factor=float(settings.get("question_factor", 0.5)),
        scan=scan,
        emoji_scan=emoji_scan,
        phrase_info=phrase_info,
        anchored_any=anchored_any,
        loss_outcomes=frozenset(loss_outcomes),
        loss_outcome_factor=float(settings.get("loss_outcome_factor", -1.0)),
    )


@lru_cache(maxsize=4)
def load_lexicon(path: str | Path | None = None) -> Lexicon:
    """Read and compile cues.toml once per process (per path)."""
    source = Path(path) if path else LEXICON_PATH
    with source.open("rb") as fh:
        data = tomllib.load(fh)
    return lexicon_build(data)
