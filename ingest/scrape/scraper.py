"""scrape_reddit: walk Reddit with praw (listings, threads, `more` stubs) and hand the items to `ingest.upsert`.

`Scraper` is the traversal: which posts and threads to fetch, in which order, within
the run's request budget. Writing is `ingest.upsert` (one transaction per batch,
checkpoint included); progress is `ingest.scrape.progress`; options and outcome `ingest.scrape.plan`.

Every item goes through `ingest.validation.item_validate` before anything reads its
fields (sorting, the /new stop, the backfill range): one bad item never costs the
items beside it. A rejected item is skipped, logged once with its fullname and reason,
and counted by reason: `counters["rejected"] = {"created_in_future": 1, ...}` (read by
the summary line, the `ItemsRejected` metric and `daily_status`). A thread whose post
is rejected, or that raised, is skipped whole and counted in `threads_skipped` and
`errors` (the `Failures` metric). Checkpoints never move past now (`created_clamp`).
"""

from __future__ import annotations

import heapq
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from praw.models import MoreComments

from articles.models import Article
from ingest import selectors
from ingest.models import SubredditCheckpoint, ThreadCheckpoint
from ingest.scrape.client import BudgetExhausted, RedditClient, StopFetching
from ingest.scrape.plan import REQUESTED_TARGET, ScrapeOptions, ScrapeOutcome
from ingest.scrape.progress import Progress
from ingest.upsert import (
    BATCH_SIZE,
    BatchResult,
    TickerIndex,
    articles_upsert_preview,
    articles_upsert_retrying,
    chunks,
    thread_kind,
    ticker_index_load,
)
from ingest.validation import Accepted, Rejected, created_clamp, item_validate
from marketpulse.jobs import RunHandle

logger = logging.getLogger(__name__)

THREAD_LIVE_HOURS = 36  # keep scraping a tracked thread this long after it was posted
# A thread whose comment count has not moved since its last full scrape is skipped (issue 16:
# a run that finds nothing new costs three listing requests, not the whole thread), but is
# fetched again at least this often, for edits, deletions and comment scores.
UNCHANGED_THREAD_REFETCH_MINUTES = 60
REFRESH_POSTS_DAYS = 3  # refresh score/comment count of posts this young
REJECTED = "rejected"  # the counter: {reason: n}


class Scraper:
    """One run over one or more subreddits. `run` is the JobRun handle (a `DryRunHandle` in a dry run)."""

    def __init__(self, *, options: ScrapeOptions, run: RunHandle, client: RedditClient, index: TickerIndex) -> None:
        self.options = options
        self.run = run
        self.client = client
        self.index = index
        self.progress = Progress(tty=options.tty, label="scrape_reddit")
        self.notes: list[str] = []
        self.budget_exhausted = False
        self._rejected_seen: set[str] = set()
        self._steps_tried = self._steps_lost = 0  # this subreddit's fetch steps (listings, refresh, threads)
        self._last_failure: Exception | None = None
        counted = (
            "threads threads_skipped posts_new posts_updated comments_new comments_updated mentions requests errors"
            " steps_failed"
        )
        for name in counted.split():
            run.counters.setdefault(name, 0)
        run.counters.setdefault(REJECTED, {})

    # -- the edge

    def _accept(self, raw: Any, *, kind: str, subreddit: str | None = None) -> dict[str, Any] | None:
        """The item's clean row (`item_validate`), or None when it is rejected (counted, logged once)."""
        result = item_validate(raw, kind=kind, subreddit=subreddit)
        if isinstance(result, Accepted):
            return result.row
        self._reject(result)
        return None

    def malformed_child(self, child: Any) -> None:
        """A listing child the client left out (its `data` is not an object): a counted reject."""
        result = item_validate(child)
        if isinstance(result, Rejected):
            self._reject(result)

    def _reject(self, rejected: Rejected) -> None:
        # The same post can come back in hot, new and top, and again as a thread: once per run.
        if rejected.fullname:
            if rejected.fullname in self._rejected_seen:
                return
            self._rejected_seen.add(rejected.fullname)
        self.run.incr_in(REJECTED, rejected.reason)
        logger.warning("%s rejected, skipped: %s", rejected.fullname or "an item without an id", rejected.reason)

    # -- plumbing

    def detail(self, line: str) -> None:
        if self.options.verbosity >= 2 and self.options.say is not None:
            self.options.say(line)

    def _sync_requests(self) -> None:
        self.run.set("requests", self.client.requests_made)

    def _write(
        self, items: list[dict[str, Any]], *, state: Callable[[], None] | None, lock: Any, note: str
    ) -> BatchResult:
        """Write one batch (or, in a dry run, only link it) and count it."""
        self._sync_requests()
        if self.options.dry_run:
            result = articles_upsert_preview(items=items, index=self.index)
        else:

            def on_commit_state() -> None:
                if state is not None:
                    state()
                if lock is not None:
                    lock.heartbeat()

            result = articles_upsert_retrying(items=items, index=self.index, on_commit_state=on_commit_state)
        for name in ("posts_new", "posts_updated", "comments_new", "comments_updated", "mentions"):
            self.run.incr(name, getattr(result, name))
        self.run.save_counters()
        self.progress.update(len(items), self.run.counters, note)
        return result

    def _steps_start(self) -> None:
        self._steps_tried = self._steps_lost = 0
        self._last_failure = None

    def _step_failed(self, what: str, exc: Exception) -> None:
        """One fetch step failed (a refused listing, a 403 on the refresh): counted, noted, the run goes on."""
        self._steps_lost += 1
        self._last_failure = exc
        self.run.incr("steps_failed")
        self.run.incr("errors")
        self.run.save_counters()
        logger.error("%s failed, skipped: %s: %s", what, type(exc).__name__, exc)
        self.notes.append(f"{what} failed, skipped: {type(exc).__name__}: {str(exc)[:200]}")

    def _steps_check(self, subreddit: str) -> None:
        """A subreddit of which no step could be fetched has failed, not quietly succeeded."""
        if self._steps_tried and self._steps_lost == self._steps_tried and self._last_failure is not None:
            raise SubredditUnreachable(
                f"all {self._steps_tried} steps of r/{subreddit} failed; the last: "
                f"{type(self._last_failure).__name__}: {self._last_failure}"
            ) from self._last_failure

    def _fetch(self, fn: Callable[[], Any], *, what: str) -> Any:
        try:
            return self.client.call(fn, what=what)
        except BudgetExhausted:
            if self.client.budget_left <= 0:  # the run's budget, not a per-thread cap
                self.budget_exhausted = True
            raise
        finally:
            self._sync_requests()

    # -- posts

    def _posts_write(self, subreddit: str, items: list[dict[str, Any]], lock: Any) -> None:
        for chunk in chunks(items, BATCH_SIZE):
            newest = max(chunk, key=lambda i: i["created_utc"])

            def state(newest: dict[str, Any] = newest) -> None:
                now = timezone.now()
                moment = created_clamp(newest["created_utc"], now)  # never past now
                ckpt, _ = SubredditCheckpoint.objects.get_or_create(subreddit=subreddit)
                current = ckpt.newest_post_utc
                if current is None or current > now or moment > current:
                    ckpt.newest_post_utc, ckpt.newest_post_id = moment, newest["reddit_id"]
                    ckpt.save(update_fields=["newest_post_utc", "newest_post_id", "updated_at"])

            self._write(chunk, state=state, lock=lock, note=f"r/{subreddit} posts")

    def _listing(
        self, subreddit: str, sort: str, *, limit: int, stop_before: datetime | None = None, **params: Any
    ) -> tuple[list[dict[str, Any]], bool]:
        """Fetch a listing page by page, validating each post as it comes.

        Returns (the accepted posts' rows, exhausted: the listing ran out). The /new stop
        reads the validated time: a rejected post (no time, the year 3000) neither stops
        the walk nor is stored. A listing that fails (a 403, a page that never parses) is
        a failed step: the posts of its earlier pages are kept.
        """
        what = f"r/{subreddit}/{sort}"
        rows: list[dict[str, Any]] = []
        fetched = 0
        exhausted = True
        self._steps_tried += 1
        try:
            iterator = iter(getattr(self.client.reddit.subreddit(subreddit), sort)(limit=limit, **params))
            while True:
                post = self._fetch(lambda: next(iterator, None), what=what)
                if post is None:
                    break
                fetched += 1
                row = self._accept(post, kind="post")
                if row is None:
                    continue
                rows.append(row)
                if stop_before is not None and row["created_utc"] < stop_before:
                    exhausted = False
                    break
        except (StopFetching, BudgetExhausted):
            raise
        except Exception as exc:
            self._step_failed(what, exc)
            return rows, False
        if fetched >= limit:
            exhausted = False
        return rows, exhausted

    # -- threads

    def _expand(self, submission: Any, fullname: str) -> tuple[list[Any], int, Exception | None]:
        """All comments of a fetched thread, expanding `more` stubs newest first.

        Reddit ids grow with time, so the stub whose newest hidden id is highest is
        expanded first: when the request budget runs out, what is left behind is the
        oldest part of the thread (already stored by earlier runs, or picked up by the
        next one). Returns (comments, stubs left unexpanded, the stop/budget exception).
        """
        found: dict[str, Any] = {}
        heap: list[tuple[int, int, Any]] = []
        counter = 0

        def take(items: Iterable[Any]) -> None:
            nonlocal counter
            queue = deque(items)
            while queue:
                item = queue.popleft()
                if isinstance(item, MoreComments):
                    heapq.heappush(heap, (-_more_priority(item), counter, item))
                    counter += 1
                elif item.id not in found:
                    found[item.id] = item
                    queue.extend(list(item.replies))

        take(submission.comments)
        interrupted: Exception | None = None
        while heap:
            _, _, more = heap[0]
            try:
                got = self._fetch(lambda more=more: more.comments(update=True), what=f"more comments of {fullname}")
            except (BudgetExhausted, StopFetching) as exc:
                interrupted = exc  # keep what was fetched: it is written, then the run stops
                break
            except Exception as exc:
                self.run.incr("errors")
                logger.error(
                    "%s: a 'more comments' expansion failed, keeping what was fetched: %s: %s",
                    fullname,
                    type(exc).__name__,
                    exc,
                )
                break
            heapq.heappop(heap)
            take(got)
        return list(found.values()), len(heap), interrupted

    def _thread(self, subreddit: str, post_id: str, kind: str, lock: Any, share: int | None = None) -> None:
        options = self.options
        fullname = post_id if post_id.startswith("t3_") else f"t3_{post_id}"
        id36 = fullname[3:]
        submission = self.client.reddit.submission(id=id36)
        submission.comment_sort = "new"
        submission.comment_limit = 500
        self._fetch(
            lambda: len(submission.comments), what=f"thread {fullname}"
        )  # the post and the first page of comments
        post_item = self._accept(submission, kind="post")
        if post_item is None:
            # Without a valid post the comments cannot be placed (subreddit, time): skip, counted.
            self.run.incr("threads_skipped")
            self.run.incr("errors")
            self.run.save_counters()
            self.notes.append(f"thread {fullname} skipped: its post was rejected")
            return
        tracked = ThreadCheckpoint.objects.filter(reddit_id=fullname).first()
        cap_before = self.client.session.limit_budget
        try:
            cap = share
            if options.max_comments is not None:
                # Each expansion brings at most 100 comments: do not spend more requests than needed.
                wanted = max(0, -(-options.max_comments // 100))
                cap = wanted if cap is None else min(cap, wanted)
            if cap is not None:
                self.client.session.limit_budget = self.client.requests_made + cap
            comments, unexpanded, interrupted = self._expand(submission, fullname)
        finally:
            self.client.session.limit_budget = cap_before
        # Validate first: sorting and the range read the clean created_utc, never praw's raw one.
        items = [
            row
            for row in (self._accept(c, kind="comment", subreddit=post_item["subreddit"]) for c in comments)
            if row is not None
        ]
        items.sort(key=lambda i: i["created_utc"], reverse=True)
        if options.max_comments is not None:
            items = items[: options.max_comments]
        if options.mode == "backfill" and (options.since or options.until):
            items = [i for i in items if _in_range(i["created_utc"], options.since, options.until)]
        title = post_item["title"] or (tracked.title if tracked else "")
        if not items:
            items_batches: list[list[dict[str, Any]]] = [[]]
        else:
            items_batches = list(chunks(items, BATCH_SIZE))
        items_batches[0] = [post_item, *items_batches[0]]
        self.run.incr("threads")
        written = BatchResult()
        for number, batch in enumerate(items_batches, start=1):
            last = number == len(items_batches)
            newest = max((i["created_utc"] for i in batch if i["kind"] == "comment"), default=None)

            def state(newest: datetime | None = newest, last: bool = last) -> None:
                now = timezone.now()
                ckpt, _ = ThreadCheckpoint.objects.get_or_create(
                    reddit_id=fullname,
                    defaults={
                        "subreddit": post_item["subreddit"] or subreddit,
                        "title": title,
                        "kind": kind,
                        "created_utc": created_clamp(post_item["created_utc"], now),
                    },
                )
                current = ckpt.newest_comment_utc
                if newest is not None:
                    newest = created_clamp(newest, now)  # never past now
                    if current is None or current > now or newest > current:
                        ckpt.newest_comment_utc = newest
                elif current is not None and current > now:
                    ckpt.newest_comment_utc = now
                ckpt.title = title or ckpt.title
                ckpt.reddit_num_comments = post_item["num_comments"]
                ckpt.comments_seen = Article.objects.filter(parent_post_id=fullname).count()
                ckpt.last_scraped_at = timezone.now()
                if last:
                    ckpt.unexpanded_more = unexpanded
                ckpt.save()

            result = self._write(batch, state=state, lock=lock, note=f"thread {fullname}")
            written.comments_new += result.comments_new
            written.comments_updated += result.comments_updated
            written.mentions += result.mentions
        self.detail(
            f"thread {fullname} ({kind}): {len(items)} comments fetched, {written.comments_new} new, "
            f"{written.comments_updated} updated, {written.mentions} mentions, {unexpanded} 'more' stubs left  {title[:60]}"
        )
        if interrupted is not None:
            if isinstance(interrupted, BudgetExhausted) and self.client.budget_left > 0:
                return  # only the per-thread cap (--max-comments) was reached
            raise interrupted

    # -- modes

    def _threads_to_scrape(self, subreddit: str, listed: list[dict[str, Any]]) -> list[tuple[str, str]]:
        wanted: dict[str, str] = {}
        for post in listed:
            kind = thread_kind(post["title"])
            if kind:
                wanted.setdefault(post["reddit_id"], kind)
        if self.options.mode == "incremental":
            live_since = timezone.now() - timedelta(hours=THREAD_LIVE_HOURS)
            for rid, kind in selectors.threads_tracked(subreddit=subreddit, live_since=live_since):
                wanted.setdefault(rid, kind)
        ordered = sorted(wanted.items(), key=lambda kv: kv[0], reverse=True)  # base-36 ids grow with time: newest first
        return ordered[: self.options.max_threads]

    def _threads_changed(self, threads: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Leave out the threads with nothing new (`ingest.selectors.threads_unchanged`).
        Not in a dry run (it writes no fresh counts)."""
        if self.options.dry_run or not threads:
            return threads
        recent = timezone.now() - timedelta(minutes=UNCHANGED_THREAD_REFETCH_MINUTES)
        unchanged = selectors.threads_unchanged(ids=[rid for rid, _ in threads], scraped_since=recent)
        keep = []
        for rid, kind in threads:
            if rid in unchanged:
                self.run.incr("threads_unchanged")
                self.detail(f"thread {rid}: {unchanged[rid]} comments, as at its last scrape; not fetched")
                continue
            keep.append((rid, kind))
        return keep

    def _checkpoint(self, subreddit: str) -> datetime | None:
        """Where /new may stop: `ingest.selectors.subreddit_checkpoint_usable`."""
        return selectors.subreddit_checkpoint_usable(subreddit=subreddit, now=timezone.now())

    def _refresh(self, subreddit: str, fullnames: list[str], lock: Any) -> None:
        """Fresh score and comment count of stored posts (/api/info), one step: a refused
        request ends it (the next would be refused too); what came before is written."""
        if not fullnames:
            return
        self._steps_tried += 1
        for chunk in chunks(fullnames, 100):
            try:
                things = self._fetch(
                    lambda chunk=chunk: list(self.client.reddit.info(fullnames=chunk)), what="refresh posts"
                )
            except (StopFetching, BudgetExhausted):
                raise
            except Exception as exc:
                self._step_failed(f"r/{subreddit}: the score refresh of {len(fullnames)} posts", exc)
                return
            rows = [row for row in (self._accept(t, kind="post") for t in things) if row is not None]
            if rows:
                self._posts_write(subreddit, rows, lock)

    def incremental(self, subreddit: str, lock: Any) -> None:
        self._steps_start()
        newest = self._checkpoint(subreddit)
        stop_before = newest - timedelta(minutes=10) if newest else None
        hot, _ = self._listing(subreddit, "hot", limit=100)
        new, _ = self._listing(subreddit, "new", limit=1000 if stop_before else 100, stop_before=stop_before)
        top, _ = self._listing(subreddit, "top", limit=100, time_filter="day")
        seen: dict[str, dict[str, Any]] = {}
        for item in [*hot, *new, *top]:
            seen[item["reddit_id"]] = item
        self._posts_write(subreddit, list(seen.values()), lock)
        # Posts already stored keep changing (score, comment count) for days.
        young = timezone.now() - timedelta(days=REFRESH_POSTS_DAYS)
        stale = list(
            Article.objects.filter(kind=Article.Kind.POST, subreddit__iexact=subreddit, created_utc__gte=young)
            .exclude(reddit_id__in=list(seen))
            .values_list("reddit_id", flat=True)
        )
        self._refresh(subreddit, stale, lock)
        threads = self._threads_changed(self._threads_to_scrape(subreddit, [*hot, *new]))
        for number, (rid, kind) in enumerate(threads):
            self._thread_guarded(subreddit, rid, kind, lock, threads_left=len(threads) - number)
        self._steps_check(subreddit)

    def backfill(self, subreddit: str, lock: Any) -> None:
        self._steps_start()
        since, until = self.options.since, self.options.until
        posts, _ = self._listing(subreddit, "new", limit=1000, stop_before=since)
        in_range = [p for p in posts if _in_range(p["created_utc"], since, until)]
        self._posts_write(subreddit, in_range, lock)
        reached = min((p["created_utc"] for p in posts), default=None)
        if since is not None and (reached is None or reached > since):
            note = (
                f"r/{subreddit}: Reddit's listing ends at {reached:%Y-%m-%d %H:%M} UTC ({len(posts)} posts; listings stop at about 1000); "
                f"{since:%Y-%m-%d %H:%M} to {reached:%Y-%m-%d %H:%M} cannot be covered"
                if reached
                else f"r/{subreddit}: the listing is empty; nothing from {since:%Y-%m-%d %H:%M} can be covered"
            )
            self.notes.append(note)
            logger.warning(note)
            self.run.set("uncovered", note)
        threads = [p for p in in_range if thread_kind(p["title"])]
        threads = threads[: self.options.max_threads]
        for number, post in enumerate(threads):
            self._thread_guarded(
                subreddit, post["reddit_id"], thread_kind(post["title"]), lock, threads_left=len(threads) - number
            )
        self._steps_check(subreddit)

    def requested(self, lock: Any) -> None:
        wanted = self.options.thread_ids
        for number, raw in enumerate(wanted):
            rid = raw.strip()
            rid = rid if rid.startswith("t3_") else f"t3_{rid}"
            self._thread_guarded("", rid, ThreadCheckpoint.Kind.REQUESTED, lock, threads_left=len(wanted) - number)

    def _thread_guarded(self, subreddit: str, rid: str, kind: str, lock: Any, *, threads_left: int = 1) -> None:
        """One bad thread is logged and counted, never the end of the run."""
        if self.run.stop_requested or self.budget_exhausted:
            raise StopFetching("stop requested") if self.run.stop_requested else BudgetExhausted("budget spent")
        # Each thread left gets an equal share of the requests left (a thread that needs
        # less leaves the rest to the next ones).
        share = max(3, self.client.budget_left // max(1, threads_left))
        self._steps_tried += 1
        try:
            self._thread(subreddit, rid, kind, lock, share=share)
        except (StopFetching, BudgetExhausted):
            raise
        except Exception as exc:
            self._steps_lost += 1
            self._last_failure = exc
            self.run.incr("errors")
            self.run.incr("threads_skipped")
            self.run.save_counters()
            logger.error("thread %s failed, skipped: %s: %s", rid, type(exc).__name__, exc)
            self.notes.append(f"thread {rid} skipped: {type(exc).__name__}: {str(exc)[:200]}")


class SubredditUnreachable(Exception):
    """Every fetch step of a subreddit failed: the subreddit counts as failed."""


def _more_priority(more: Any) -> int:
    """The newest id a `more` stub hides (base 36 ids grow with time). A "continue this
    thread" stub hides unknown ids under a deep, usually live exchange: it goes first."""
    if not more.children:
        return 36**13
    ids = list(more.children)
    best = 0
    for id36 in ids:
        try:
            best = max(best, int(id36, 36))
        except ValueError:
            continue
    return best


def _in_range(moment: datetime, since: datetime | None, until: datetime | None) -> bool:
    """`moment` (a validated row's created_utc) within [since, until)."""
    return (since is None or moment >= since) and (until is None or moment < until)


def scrape_reddit(*, options: ScrapeOptions, run: RunHandle, locks: dict[str, Any]) -> ScrapeOutcome:
    """Run a scrape (incremental/backfill/--thread) over the targets whose lock is held.

    `locks` maps each target to its held lock handle (None in a dry run).
    """
    started = time.monotonic()
    index = ticker_index_load()
    client = RedditClient(budget=options.budget, should_stop=lambda: run.stop_requested)
    scraper = Scraper(options=options, run=run, client=client, index=index)
    client.on_malformed = scraper.malformed_child
    outcome = ScrapeOutcome(counters=run.counters, seconds=0.0)
    try:
        for target, handle in locks.items():
            try:
                if target == REQUESTED_TARGET:
                    scraper.requested(handle)
                elif options.mode == "backfill":
                    scraper.backfill(target, handle)
                else:
                    scraper.incremental(target, handle)
            except (StopFetching, BudgetExhausted):
                raise
            except Exception as exc:
                logger.exception("r/%s failed", target)
                run.incr("errors")
                outcome.failed_subreddits.append((target, f"{type(exc).__name__}: {str(exc)[:300]}"))
    except StopFetching:
        outcome.stopped = True
    except BudgetExhausted:
        outcome.budget_exhausted = True
    finally:
        scraper.progress.close()
    if scraper.budget_exhausted:
        outcome.budget_exhausted = True
    if outcome.budget_exhausted:
        logger.warning("request budget of %d spent; the next run continues where this one stopped", options.budget)
    if run.stop_requested:
        outcome.stopped = True
    run.set("requests", client.requests_made)
    outcome.seconds = time.monotonic() - started
    run.set("seconds", round(outcome.seconds, 2))
    outcome.notes = scraper.notes
    return outcome
