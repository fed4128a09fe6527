"""Realistic r/wallstreetbets-style data, generated with a fixed seed.

Used by `ingest/sample_data/generate.py` (the demo's bundled replay), the tests and
the benchmarks. Items are Reddit `data` dicts in the shape of the recorded
samples: posts (`t3`) and comments (`t1`, with `link_id`/`parent_id` prefixed).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ingest.ids import to36

TICKERS = [
    "TSLA",
    "GME",
    "AMC",
    "NVDA",
    "AAPL",
    "SPY",
    "QQQ",
    "AMD",
    "PLTR",
    "MSFT",
    "META",
    "AMZN",
    "GOOGL",
    "SOFI",
    "BB",
    "TQQQ",
    "SQQQ",
    "IWM",
    "INTC",
    "COIN",
    "HOOD",
    "RIVN",
    "NIO",
    "MU",
    "SMCI",
    "ARM",
    "NFLX",
    "DIS",
    "BABA",
    "UVXY",
    "VIX",
    "F",
    "T",
]
EMOJI = ["🚀", "🌈🐻", "💎🙌", "🦍", "📉", "📈", "🤡", "🔥", "😭", "🍗"]
_TEMPLATES = [
    "{T} calls printing {e}",
    "Bought more ${t} at the open, {e}",
    "{T} to the moon {e}{e}",
    "Puts on {T} are free money. Change my mind.",
    "My {T} {n}c {d} expiring worthless lmao",
    "Anyone else holding {T} through earnings?",
    "I think IT is going to dump tomorrow, ALL in cash NOW",
    "DD: {T} has {n}% short interest and the CEO keeps buying. YOLO",
    "Wife's boyfriend says {T} is a buy. Who am I to argue",
    "> {T} will never go down\n\nlol ok",
    "Just lost {n}k on {T} FDs. GG",
    "Closed my {T} position for +{n}%. Thank you {T2}",
    "SPY {n}p 0DTE, pray for me {e}",
    "Not financial advice but {T} and {T2} are both undervalued",
    "Check this out https://finance.example.com/quote/{T}?x=1 it's over",
    "`{T}` is my code name for the stock I can't name",
    "Bears r fuk {e} {T} ATH tomorrow",
    "IMO the market is rigged, GO long volatility, buy ${t2}",
    "Can someone explain why {T} dropped {n}% after good earnings?",
    "Loaded up on {T} and {T2} leaps, see you in 2028",
    "Guh.",
    "This sub is a casino and I'm the house's favourite customer",
    "Fed meeting tomorrow, {T} gonna move {n}% either way",
    "[{T} chart](https://www.example.com/chart/{T}) looks like a cup and handle",
    "Positions or ban",
    "Who's buying the dip on ${t}? {e}",
    "Tesla and Nvidia are the only things that matter",
    "A I is a bubble. EV is a bubble. USA is a bubble.",
]
HOSTILE = [
    "<script>alert('TSLA')</script> **$GME** to the moon",
    "[click me](javascript:alert(1)) $AMC <img src=x onerror=alert(1)>",
    "Zero\u200bwidth\u200bspace NVDA and a NUL byte \u0000 here $PLTR",
    "```\n$SPY 600c\nimport os; os.system('rm -rf /')\n```\nthat was code, now $AMD for real",
    "&lt;b&gt;HTML entities&lt;/b&gt; &amp; $TSLA &#x1F680;",
    "Ｆｕｌｌｗｉｄｔｈ ＴＳＬＡ and RTL \u202egnirts\u202c with $MSFT",
    "'; DROP TABLE articles_article; -- $GME",
    "🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀 $GME 🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀",
]
_NAMES = [
    "diamond",
    "paper",
    "tendie",
    "ape",
    "regard",
    "theta",
    "gang",
    "bagholder",
    "yolo",
    "wife",
    "boyfriend",
    "wendy",
]


class Generator:
    """Builds posts and comment trees; ids and times come from one seeded RNG."""

    def __init__(
        self,
        *,
        seed: int = 20261127,
        subreddit: str = "wallstreetbets",
        newest: datetime | None = None,
        first_id: int = 0,
    ) -> None:
        self.rng = random.Random(seed)
        self.subreddit = subreddit
        self.newest = (newest or datetime(2026, 11, 27, 20, 0, tzinfo=UTC)).timestamp()
        self._next_id = first_id or 36**6 + self.rng.randrange(36**5)
        self.posts: list[dict[str, Any]] = []
        self.comments: list[dict[str, Any]] = []

    def _id(self) -> str:
        self._next_id += 1 + self.rng.randrange(3)
        return to36(self._next_id)

    def author(self) -> str:
        return f"{self.rng.choice(_NAMES)}_{self.rng.choice(_NAMES)}{self.rng.randrange(1000)}"

    def text(self) -> str:
        rng = self.rng
        template = rng.choice(_TEMPLATES)
        t1, t2 = rng.choice(TICKERS), rng.choice(TICKERS)
        body = template.format(
            T=t1,
            t=t1.lower() if rng.random() < 0.3 else t1,
            T2=t2,
            t2=t2,
            e=rng.choice(EMOJI),
            n=rng.randrange(2, 900),
            d=f"{rng.randrange(1, 13)}/{rng.randrange(1, 29)}",
        )
        return body

    def post(
        self,
        *,
        title: str,
        selftext: str = "",
        created: float,
        score: int | None = None,
        num_comments: int = 0,
        stickied: bool = False,
        flair: str | None = None,
        removed: bool = False,
    ) -> dict[str, Any]:
        pid = self._id()
        data = {
            "id": pid,
            "name": f"t3_{pid}",
            "subreddit": self.subreddit,
            "subreddit_id": "t5_2th52",
            "subreddit_name_prefixed": f"r/{self.subreddit}",
            "title": title,
            "selftext": "[removed]" if removed else selftext,
            "author": "[deleted]" if removed else self.author(),
            "created_utc": float(int(created)),
            "created": float(int(created)),
            "score": self.rng.randrange(1, 5000) if score is None else score,
            "ups": 0,
            "upvote_ratio": round(self.rng.uniform(0.5, 1.0), 2),
            "num_comments": num_comments,
            "permalink": f"/r/{self.subreddit}/comments/{pid}/{_slug(title)}/",
            "url": f"https://www.reddit.com/r/{self.subreddit}/comments/{pid}/{_slug(title)}/",
            "is_self": True,
            "stickied": stickied,
            "link_flair_text": flair,
            "over_18": False,
            "spoiler": False,
            "locked": False,
            "edited": False,
            "distinguished": None,
            "gilded": 0,
            "domain": f"self.{self.subreddit}",
            "thumbnail": "self",
            "removed_by_category": "moderator" if removed else None,
            "selftext_html": None,
        }
        data["ups"] = data["score"]
        self.posts.append(data)
        return data

    def comment(
        self,
        post: dict[str, Any],
        parent: str,
        *,
        created: float,
        body: str | None = None,
        deleted: str | None = None,
        depth: int = 0,
    ) -> dict[str, Any]:
        cid = self._id()
        text = body if body is not None else self.text()
        data = {
            "id": cid,
            "name": f"t1_{cid}",
            "link_id": post["name"],
            "parent_id": parent,
            "subreddit": self.subreddit,
            "subreddit_id": "t5_2th52",
            "author": "[deleted]" if deleted else self.author(),
            "body": deleted or text,
            "created_utc": float(int(created)),
            "created": float(int(created)),
            "score": self.rng.randrange(-20, 400),
            "ups": 0,
            "downs": 0,
            "edited": False,
            "replies": "",
            "controversiality": 0,
            "stickied": False,
            "distinguished": None,
            "gilded": 0,
            "is_submitter": False,
            "score_hidden": False,
            "depth": depth,
            "permalink": f"{post['permalink']}{cid}/",
            "archived": False,
            "collapsed": bool(deleted),
        }
        data["ups"] = data["score"]
        self.comments.append(data)
        return data

    def thread(
        self,
        post: dict[str, Any],
        *,
        count: int,
        start: float,
        end: float,
        deep_chain: int = 0,
        deleted_share: float = 0.03,
        hostile: int = 0,
    ) -> None:
        """`count` comments on `post` between start and end: a bushy tree plus one deep chain."""
        rng = self.rng
        made: list[tuple[dict[str, Any], int]] = []
        times = sorted(rng.uniform(start, end) for _ in range(count))
        hostile_at = set(rng.sample(range(count), min(hostile, count)))
        for index, moment in enumerate(times):
            if made and rng.random() < 0.55:
                parent, depth = rng.choice(made[-60:])
                if parent["created_utc"] > moment:
                    parent, depth = None, -1
            else:
                parent, depth = None, -1
            deleted = None
            if rng.random() < deleted_share:
                deleted = rng.choice(["[deleted]", "[removed]"])
            body = HOSTILE[index % len(HOSTILE)] if index in hostile_at else None
            comment = self.comment(
                post,
                parent["name"] if parent else post["name"],
                created=moment,
                body=body,
                deleted=deleted,
                depth=depth + 1,
            )
            made.append((comment, depth + 1))
        # A deep chain: replies to replies, deeper than Reddit nests on one page.
        # A deep chain (replies to replies, deeper than Reddit nests on one page), started
        # recently so it sits among the newest comments.
        if deep_chain:
            moment = end - 60.0 * (deep_chain + 2)
            parent = self.comment(post, post["name"], created=moment, depth=0)
            for depth in range(1, deep_chain + 1):
                moment += rng.uniform(5, 55)
                parent = self.comment(post, parent["name"], created=min(moment, end), depth=depth)
        post["num_comments"] = sum(1 for c in self.comments if c["link_id"] == post["name"])

    def dataset(self) -> dict[str, Any]:
        self._renumber()
        return {"posts": self.posts, "comments": self.comments}

    def _renumber(self) -> None:
        """Give ids in creation-time order, as Reddit does (base-36 ids grow with time)."""
        things = sorted([*self.posts, *self.comments], key=lambda t: (t["created_utc"], t["name"]))
        base = min(int(t["id"], 36) for t in things) if things else 0
        mapping = {t["name"]: f"{t['name'][:3]}{to36(base + n)}" for n, t in enumerate(things)}
        for thing in things:
            old = thing["id"]
            thing["name"] = mapping[thing["name"]]
            thing["id"] = thing["name"][3:]
            for key in ("link_id", "parent_id"):
                if key in thing:
                    thing[key] = mapping.get(thing[key], thing[key])
            for key in ("permalink", "url"):
                if thing.get(key):
                    thing[key] = thing[key].replace(f"/{old}/", f"/{thing['id']}/")
        for comment in self.comments:  # a comment's permalink holds its post's id too
            post_id = comment["link_id"][3:]
            parts = comment["permalink"].split("/")
            if len(parts) > 4:
                parts[4] = post_id
            comment["permalink"] = "/".join(parts)


_DATED_TITLE = re.compile(r"^(Daily Discussion Thread for |What Are Your Moves Tomorrow, )([A-Z][a-z]+ \d{2}, \d{4})$")


def post_redate(post: dict[str, Any], comments: Iterable[dict[str, Any]], shift: float) -> None:
    """Move the date in a daily thread's title ("... for November 27, 2026") by `shift`
    seconds, as the replay server moves the timestamps, and its permalink slug with it
    (in the post's comments too): a replayed day reads as today, not as the day it was made."""
    match = _DATED_TITLE.match(post.get("title") or "")
    if not match:
        return
    noon = datetime.strptime(match.group(2), "%B %d, %Y").replace(hour=12, tzinfo=UTC)
    title = f"{match.group(1)}{datetime.fromtimestamp(noon.timestamp() + shift, tz=UTC):%B %d, %Y}"
    old, new = f"/{_slug(post['title'])}/", f"/{_slug(title)}/"
    post["title"] = title
    for thing in [post, *(c for c in comments if c.get("link_id") == post.get("name"))]:
        for key in ("permalink", "url"):
            if isinstance(thing.get(key), str):
                thing[key] = thing[key].replace(old, new)


def _slug(title: str) -> str:
    words = "".join(ch.lower() if ch.isalnum() else "_" for ch in title).split("_")
    return "_".join(w for w in words if w)[:50] or "post"


def wsb_sample(
    *,
    seed: int = 20261127,
    newest: datetime | None = None,
    daily_comments: int = 260,
    moves_comments: int = 120,
    other_posts: int = 40,
    other_posts_hours: float = 72.0,
    hostile: bool = True,
) -> dict[str, Any]:
    """The demo dataset: yesterday's and today's daily threads, moves tomorrow, other posts
    (posted over the last `other_posts_hours`). `hostile` puts HOSTILE's strings among the
    daily thread's comments, for the tests; the demo's bundled replay has none."""
    gen = Generator(seed=seed, newest=newest)
    end = gen.newest
    day = 86400.0
    today = datetime.fromtimestamp(end - 8 * 3600, tz=UTC)
    yesterday = datetime.fromtimestamp(end - 32 * 3600, tz=UTC)
    daily = gen.post(
        title=f"Daily Discussion Thread for {today:%B %d, %Y}",
        created=end - 14 * 3600,
        stickied=True,
        flair="Daily Discussion",
        selftext="Your daily trading discussion thread. Please keep the shitposting to a minimum.",
    )
    gen.thread(
        daily,
        count=daily_comments,
        start=end - 14 * 3600 + 60,
        end=end - 30,
        deep_chain=14,
        hostile=len(HOSTILE) if hostile else 0,
    )
    moves = gen.post(
        title=f"What Are Your Moves Tomorrow, {today:%B %d, %Y}",
        created=end - 5 * 3600,
        stickied=True,
        flair="Daily Discussion",
        selftext="Your daily hype thread. What are your moves tomorrow?",
    )
    gen.thread(moves, count=moves_comments, start=end - 5 * 3600 + 60, end=end - 60, deep_chain=6)
    old_daily = gen.post(
        title=f"Daily Discussion Thread for {yesterday:%B %d, %Y}",
        created=end - 38 * 3600,
        flair="Daily Discussion",
        selftext="Your daily trading discussion thread.",
    )
    gen.thread(old_daily, count=max(10, daily_comments // 4), start=end - 38 * 3600 + 60, end=end - 20 * 3600)
    titles = [
        ("{T} DD: why I'm all in", "DD"),
        ("{T} YOLO update: +{n}%", "YOLO"),
        ("Lost everything on {T} puts", "Loss"),
        ("Gain porn: {T} and {T2} calls", "Gain"),
        ("Is the market going to crash?", "Discussion"),
        ("My wife left me, at least I still have my bags", "Meme"),
        ("Fed day thoughts", "Discussion"),
        ("${t} earnings play", "DD"),
        ("Powell speaks at 2pm. Positions?", "News"),
        ("Retirement fund status: 📉", "Loss"),
    ]
    for index in range(other_posts):
        template, flair = titles[index % len(titles)]
        t1, t2 = gen.rng.choice(TICKERS), gen.rng.choice(TICKERS)
        title = template.format(T=t1, T2=t2, t=t1.lower(), n=gen.rng.randrange(10, 900))
        created = gen.rng.uniform(end - other_posts_hours * 3600, end - 120)
        body = "\n\n".join(gen.text() for _ in range(gen.rng.randrange(0, 4)))
        post = gen.post(title=title, selftext=body, created=created, flair=flair, removed=(index % 17 == 16))
        if gen.rng.random() < 0.5:
            gen.thread(post, count=gen.rng.randrange(1, 12), start=created + 30, end=min(end - 10, created + day))
    return gen.dataset()
