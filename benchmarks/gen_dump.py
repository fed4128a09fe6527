"""A realistic Pushshift / Arctic Shift monthly dump, generated from a fixed seed (issue 14).

    .venv/bin/python benchmarks/gen_dump.py var/RC_2021-01.zst [--lines 1000000] [--seed 14]
    .venv/bin/python benchmarks/gen_dump.py var/RS_2021-01.zst --kind submissions --lines 50000

One JSON object per line, compact, UTF-8 (not \\u-escaped), zstandard with the dumps'
long window (window_log 31 + long-distance matching, written as a stream, so the frame
header declares the 2 GiB window and a decoder needs max_window_size=2**31, as for the
real files). `--plain` writes NDJSON instead.

What is in it, as in the real files of January 2021:
* subreddits: mostly wallstreetbets, then stocks, investing, options, Superstonk... and a
  few off-topic ones; created_utc spread over the month in rising order with jitter;
* bodies from a vocabulary: tickers as cashtags, bare symbols and lowercase, slang, emoji,
  English words that are also tickers (IT, DD, CEO, YOLO), quotes, links and code;
* about 85 % "new era" lines (some 45 fields, created_utc an int) and 15 % "old era"
  lines (20 fields, created_utc a string, no permalink, `ups`), as old files have;
* 3 % [deleted] and 4 % [removed] items; `edited` false or a timestamp; 2 % of lines
  with a random non-essential field missing;
* id without prefix, link_id / parent_id as fullnames (t3_ / t1_).

Deterministic: one `random.Random(seed)`, a fixed key order, single-threaded zstd, so the
same arguments give byte-identical files.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import zstandard

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.ids import to36  # noqa: E402 - after the path is set

MONTH_START = int(datetime(2021, 1, 1, tzinfo=UTC).timestamp())
MONTH_END = int(datetime(2021, 2, 1, tzinfo=UTC).timestamp())
BATCH_LINES = 2000

SUBREDDITS = [
    ("wallstreetbets", "t5_2th52", 70),
    ("stocks", "t5_2qjfk", 8),
    ("investing", "t5_2qhhq", 5),
    ("options", "t5_2qmtc", 4),
    ("Superstonk", "t5_4bhmw8", 3),
    ("pennystocks", "t5_2qhmi", 3),
    ("StockMarket", "t5_2qs3y", 3),
    ("thetagang", "t5_2tnm7o", 1),
    ("AskReddit", "t5_2qh1i", 2),
    ("nba", "t5_2qo4s", 1),
]
# Weighted: the month's favourites often, the long tail now and then.
TICKERS = (
    ["GME"] * 12
    + ["AMC"] * 6
    + ["TSLA"] * 5
    + ["NVDA", "SPY", "PLTR", "BB", "NOK"] * 3
    + ["AAPL", "AMD", "MSFT", "QQQ", "SNDL", "NIO", "MVIS", "TLRY", "BABA", "FB", "AMZN", "GOOGL", "ARKK"] * 2
    + ["SOFI", "RKT", "EXPR", "KOSS", "NAKD", "CRSR", "ICLN", "DKNG", "UWMC", "VIAC", "CLOV", "F", "T"]
)
ENGLISH = ["I", "A", "IT", "DD", "CEO", "YOLO", "ALL", "NOW", "ON", "GO", "USA", "ATH", "IMO", "EOD", "FD"]
EMOJI = ["🚀", "🚀🚀🚀", "💎🙌", "🦍", "🌈🐻", "📉", "📈", "🤡", "🔥", "😭", "🍗", "🌕", "🤑", "💸"]
SLANG = [
    "tendies",
    "diamond hands",
    "apes together strong",
    "bagholder",
    "to the moon",
    "stonks only go up",
    "HODL",
    "theta gang",
    "wife's boyfriend",
    "sir this is a Wendy's",
    "smooth brain",
    "GUH",
    "bers r fuk",
    "paper hands",
    "retard strength",
    "buy the dip",
    "short squeeze",
    "gamma squeeze",
    "loss porn",
    "positions or ban",
]
WORDS = (
    "the a to and of is in it that for you this on with are be at not have just but my all so what they if "
    "market price short hedge fund shares calls puts holding buy sell today tomorrow week earnings squeeze "
    "going up down again still never ever money lost made bought sold more less everyone nobody why how"
).split()
TEMPLATES = [
    "{T} calls printing {e}",
    "Bought more ${t} at the open {e}",
    "{T} to the moon {e}",
    "{s} {e}",
    "{s}",
    "Puts on {T} are free money. Change my mind.",
    "My {T} {n}c {d} expiring worthless lmao",
    "Anyone else holding {T} through earnings?",
    "I think IT is going to dump tomorrow, ALL in cash NOW",
    "DD: {T} has {n}% short interest and the CEO keeps buying. YOLO",
    "Just lost {n}k on {T} FDs. {s}",
    "Closed my {t} position for +{n}%. Thank you ${T2}",
    "SPY {n}p 0DTE, pray for me {e}",
    "Not financial advice but {T} and {T2} are both undervalued",
    "> {T} will never go down\n\nlol ok {e}",
    "Look at this https://www.example.com/quote/{T}?range=1d it's over",
    "[{T} chart](https://www.example.com/chart/{T}) looks like a cup and handle",
    "`{T}` is my code name for the stock I can't name",
    "IMO the market is rigged, GO long volatility, buy ${T2}",
    "Can someone explain why {T} dropped {n}% after good earnings?",
    "Loaded up on {T} and {T2} leaps, see you in 2023 {e}",
    "{w}",
    "{w} {e}",
    "{w} {T} {w}",
    "{w}\n\n{w} ${T} {s}",
]
NAMES = ["diamond", "paper", "tendie", "ape", "theta", "gang", "bagholder", "yolo", "moon", "bear", "bull", "hands"]


class DumpGenerator:
    def __init__(self, *, seed: int, lines: int) -> None:
        self.rng = random.Random(seed)
        self.lines = lines
        self.subs = [name for name, _, weight in SUBREDDITS for _ in range(weight)]
        self.sub_ids = {name: sid for name, sid, _ in SUBREDDITS}
        self.authors = [
            f"{self.rng.choice(NAMES)}_{self.rng.choice(NAMES)}{self.rng.randrange(10000)}" for _ in range(5000)
        ]
        self.next_comment = int("gh00000", 36)
        self.next_post = int("kn00000", 36)
        self.posts: list[tuple[str, str]] = []  # (id, slug), the threads comments land in
        self.recent: list[str] = []

    def words(self, low: int, high: int) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randrange(low, high)))

    def text(self) -> str:
        rng = self.rng
        t1, t2 = rng.choice(TICKERS), rng.choice(TICKERS)
        parts = [
            rng.choice(TEMPLATES).format(
                T=t1,
                t=t1.lower() if rng.random() < 0.2 else t1,
                T2=t2,
                e=rng.choice(EMOJI),
                s=rng.choice(SLANG),
                n=rng.randrange(2, 900),
                d=f"{rng.randrange(1, 13)}/{rng.randrange(1, 29)}",
                w=self.words(3, 25),
            )
        ]
        roll = rng.random()
        if roll < 0.25:
            parts.append(self.words(5, 40))
        elif roll < 0.32:
            parts.append(f"{rng.choice(ENGLISH)} {self.words(2, 10)} {rng.choice(ENGLISH)}")
        elif roll < 0.36:
            parts.extend(self.words(20, 60) for _ in range(rng.randrange(2, 5)))  # the odd rant
        rng.shuffle(parts)
        return (" " if rng.random() < 0.7 else "\n\n").join(parts)

    def created(self, i: int) -> int:
        base = MONTH_START + (MONTH_END - MONTH_START) * i // max(1, self.lines)
        return min(MONTH_END - 1, max(MONTH_START, base + self.rng.randrange(-90, 90)))

    def thread(self, created: int) -> tuple[str, str]:
        rng = self.rng
        if not self.posts or rng.random() < 0.02:
            self.next_post += rng.randrange(1, 40)
            slug = rng.choice(["daily_discussion_thread", "what_are_your_moves_tomorrow", "gme_yolo_update"])
            self.posts.append((to36(self.next_post), slug))
            del self.posts[:-40]
        if rng.random() < 0.5:
            return self.posts[-1]  # the live daily thread takes half the comments
        return rng.choice(self.posts)

    def comment(self, i: int) -> dict[str, Any]:
        rng = self.rng
        self.next_comment += rng.randrange(1, 4)
        cid = to36(self.next_comment)
        created = self.created(i)
        sub = rng.choice(self.subs)
        post_id, slug = self.thread(created)
        parent = f"t3_{post_id}" if not self.recent or rng.random() < 0.4 else f"t1_{rng.choice(self.recent)}"
        self.recent.append(cid)
        del self.recent[:-50]
        author = rng.choice(self.authors)
        body = self.text()
        roll = rng.random()
        if roll < 0.03:
            author, body = "[deleted]", "[deleted]"
        elif roll < 0.07:
            body = "[removed]"
        edited: bool | int = created + rng.randrange(60, 7200) if rng.random() < 0.03 else False
        score = int(rng.paretovariate(1.2)) - rng.randrange(0, 3)
        if rng.random() < 0.15:  # an old-era line
            record: dict[str, Any] = {
                "author": author,
                "author_flair_css_class": None,
                "author_flair_text": rng.choice([None, None, "🦍", "Diamond Hands"]),
                "body": body,
                "controversiality": int(rng.random() < 0.05),
                "created_utc": str(created),
                "distinguished": None,
                "edited": edited,
                "gilded": 0,
                "id": cid,
                "link_id": f"t3_{post_id}",
                "name": f"t1_{cid}",
                "parent_id": parent,
                "retrieved_on": created + rng.randrange(3600, 86400 * 30),
                "score": score,
                "stickied": False,
                "subreddit": sub,
                "subreddit_id": self.sub_ids[sub],
                "ups": score,
            }
        else:
            record = {
                "all_awardings": [],
                "archived": False,
                "associated_award": None,
                "author": author,
                "author_created_utc": 1300000000 + rng.randrange(300000000),
                "author_flair_background_color": None,
                "author_flair_css_class": None,
                "author_flair_richtext": [],
                "author_flair_template_id": None,
                "author_flair_text": rng.choice([None, None, None, "🦍", "Diamond Hands"]),
                "author_flair_text_color": None,
                "author_flair_type": "text",
                "author_fullname": f"t2_{to36(rng.randrange(36**7))}",
                "author_patreon_flair": False,
                "author_premium": rng.random() < 0.1,
                "awarders": [],
                "body": body,
                "collapsed": False,
                "collapsed_because_crowd_control": None,
                "collapsed_reason": None,
                "comment_type": None,
                "controversiality": int(rng.random() < 0.05),
                "created_utc": created,
                "distinguished": None,
                "edited": edited,
                "gilded": 0,
                "gildings": {},
                "id": cid,
                "is_submitter": rng.random() < 0.05,
                "link_id": f"t3_{post_id}",
                "locked": False,
                "no_follow": score < 2,
                "parent_id": parent,
                "permalink": f"/r/{sub}/comments/{post_id}/{slug}/{cid}/",
                "retrieved_on": created + rng.randrange(3600, 86400 * 30),
                "score": score,
                "send_replies": True,
                "stickied": False,
                "subreddit": sub,
                "subreddit_id": self.sub_ids[sub],
                "subreddit_name_prefixed": f"r/{sub}",
                "subreddit_type": "public",
                "top_awarded_type": None,
                "total_awards_received": 0,
                "treatment_tags": [],
            }
        if rng.random() < 0.02:
            record.pop(
                rng.choice(["score", "author_flair_text", "edited", "permalink", "retrieved_on", "stickied"]), None
            )
        return record

    def submission(self, i: int) -> dict[str, Any]:
        rng = self.rng
        self.next_post += rng.randrange(1, 4)
        pid = to36(self.next_post)
        created = self.created(i)
        sub = rng.choice(self.subs)
        t1 = rng.choice(TICKERS)
        title = rng.choice(
            [
                f"{t1} YOLO update {rng.choice(EMOJI)}",
                f"DD: why {t1} is undervalued",
                f"{t1} {rng.randrange(5, 900)}c {rng.randrange(1, 13)}/{rng.randrange(1, 29)} - loss porn",
                "Daily Discussion Thread for January 2021",
                "What Are Your Moves Tomorrow",
                f"{rng.choice(SLANG).capitalize()} {rng.choice(EMOJI)}",
                f"Is it too late to buy ${t1}?",
            ]
        )
        selftext = self.text() if rng.random() < 0.6 else ""
        roll = rng.random()
        removed_by = None
        author = rng.choice(self.authors)
        if roll < 0.03:
            author, selftext, removed_by = "[deleted]", "[deleted]", "deleted"
        elif roll < 0.10:
            selftext, removed_by = "[removed]", "moderator"
        slug = "_".join(title.lower().split()[:6])
        score = int(rng.paretovariate(1.0))
        old = rng.random() < 0.15
        record: dict[str, Any] = {
            "author": author,
            "created_utc": str(created) if old else created,
            "domain": f"self.{sub}",
            "edited": created + rng.randrange(60, 7200) if rng.random() < 0.05 else False,
            "id": pid,
            "is_self": True,
            "link_flair_text": rng.choice([None, "YOLO", "DD", "Discussion", "Gain", "Loss", "Meme"]),
            "locked": False,
            "num_comments": int(rng.paretovariate(0.8)),
            "over_18": False,
            "permalink": f"/r/{sub}/comments/{pid}/{slug}/",
            "retrieved_on": created + rng.randrange(3600, 86400 * 30),
            "score": score,
            "selftext": selftext,
            "stickied": False,
            "subreddit": sub,
            "subreddit_id": self.sub_ids[sub],
            "title": title,
            "url": f"https://www.reddit.com/r/{sub}/comments/{pid}/{slug}/",
        }
        if not old:
            record.update(
                {
                    "all_awardings": [],
                    "author_fullname": f"t2_{to36(rng.randrange(36**7))}",
                    "gilded": 0,
                    "name": f"t3_{pid}",
                    "removed_by_category": removed_by,
                    "subreddit_name_prefixed": f"r/{sub}",
                    "subreddit_subscribers": 2_000_000 + i,
                    "total_awards_received": 0,
                    "upvote_ratio": round(rng.uniform(0.5, 1.0), 2),
                }
            )
        if rng.random() < 0.02:
            record.pop(
                rng.choice(["score", "link_flair_text", "edited", "permalink", "num_comments", "stickied"]), None
            )
        return record


def dump_generate(
    out: BinaryIO,
    *,
    lines: int,
    kind: str = "comments",
    seed: int = 14,
    level: int = 3,
    plain: bool = False,
    window_log: int = 31,
) -> None:
    """Write `lines` items of `kind` to `out`: zstd at `level` with the long window, or NDJSON if `plain`.

    `window_log` 31 is what the real files declare (a 2 GiB window: the decoder's memory
    grows with the output up to 2 GiB); 27 is what `zstd --long` uses by default (128 MiB).
    """
    gen = DumpGenerator(seed=seed, lines=lines)
    make = gen.submission if kind == "submissions" else gen.comment
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    if plain:
        writer: Any = out
    else:
        params = zstandard.ZstdCompressionParameters.from_level(level, window_log=window_log, enable_ldm=True)
        writer = zstandard.ZstdCompressor(compression_params=params).stream_writer(out, closefd=False)
    for start in range(0, lines, BATCH_LINES):
        batch = [dumps(make(i)) for i in range(start, min(lines, start + BATCH_LINES))]
        writer.write(("\n".join(batch) + "\n").encode())
    if writer is not out:
        writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="file to write (RC_/RS_YYYY-MM.zst by convention; '-' for stdout)")
    parser.add_argument("--lines", type=int, default=1_000_000, help="items to write (default 1000000)")
    parser.add_argument("--kind", choices=["comments", "submissions"], default="comments", help="RC or RS lines")
    parser.add_argument("--seed", type=int, default=14, help="random seed (default 14)")
    parser.add_argument("--level", type=int, default=3, help="zstd level (default 3)")
    parser.add_argument("--plain", action="store_true", help="write uncompressed NDJSON instead of zstd")
    parser.add_argument(
        "--window-log", type=int, default=31, help="zstd window log (default 31 as the real files; zstd --long: 27)"
    )
    args = parser.parse_args()
    options = {
        "lines": args.lines,
        "kind": args.kind,
        "seed": args.seed,
        "level": args.level,
        "plain": args.plain,
        "window_log": args.window_log,
    }
    if str(args.out) == "-":
        dump_generate(sys.stdout.buffer, **options)
        return
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "wb") as fh:
        dump_generate(fh, **options)
    print(f"{args.out}: {args.lines:,} {args.kind}, {args.out.stat().st_size:,} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
