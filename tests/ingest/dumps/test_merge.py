"""The dump import's parallel merge (`ingest.dumps.merge.MergePool`) on real PostgreSQL connections.

The pool's threads each open their own connection, so these tests commit for real
(`transaction=True`) and run on PostgreSQL only (SQLite never uses the pool).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from articles.models import Article, Mention, Ticker
from ingest.dumps.merge import MergePool, mention_rows, merge_postgres
from ingest.upsert import ticker_index_load
from ingest.validation import item_validate
from tests.ingest.dumps.test_import_dump import comment, encode, zst

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def index(postgres_only):
    Ticker.objects.bulk_create([Ticker(symbol=s, name=s) for s in ("GME", "TSLA", "NVDA")])
    return ticker_index_load()


def rows_of(*numbers: int, body: str = "$GME") -> list[dict]:
    return [item_validate(comment(n, body=f"{body} {n}"), kind="comment").row for n in numbers]


class Recorder:
    """A merge that can be slowed or broken per batch, and the order of the turns."""

    def __init__(self, *, slow: dict[int, float] | None = None, fail: int | None = None) -> None:
        self.slow, self.fail = slow or {}, fail
        self.turns: list[int] = []
        self.merged_at: dict[int, float] = {}
        self.seq_of: dict[str, int] = {}  # fullname -> the batch it was submitted in

    def submit(self, pool: MergePool, seq: int, rows: list[dict], index) -> None:
        for row in rows:
            self.seq_of.setdefault(row["reddit_id"], seq)
        pool.submit(rows, mention_rows(rows, index), line_no=(seq + 1) * 10, offset=0)

    def merge(self, rows, mentions, now):
        seq = self.seq_of[rows[0]["reddit_id"]]  # the workers take batches in any order
        time.sleep(self.slow.get(seq, 0.0))
        if seq == self.fail:
            raise RuntimeError(f"batch {seq} broke")
        merged = merge_postgres(rows, mentions, now)
        self.merged_at[seq] = time.monotonic()
        return merged

    def on_turn(self, batch, merged):
        self.turns.append(batch.seq)


def close_within(pool: MergePool, seconds: float = 30.0):
    """pool.close() on another thread, so a deadlock fails the test instead of hanging it."""
    out: dict = {}

    def target():
        try:
            out["results"] = pool.close()
        except BaseException as exc:  # the test looks at it
            out["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "the pool did not finish: a deadlock between two batches in flight"
    return out


def test_batches_merge_side_by_side_and_commit_in_file_order(index):
    recorder = Recorder(slow={0: 0.8})
    pool = MergePool(workers=2, merge=recorder.merge, on_turn=recorder.on_turn, now=timezone.now())
    for seq in range(4):
        recorder.submit(pool, seq, rows_of(*range(seq * 10 + 1, seq * 10 + 11)), index)
    out = close_within(pool)
    assert "error" not in out
    assert recorder.merged_at[1] < recorder.merged_at[0]  # batch 1 merged while batch 0 was still busy...
    assert recorder.turns == [0, 1, 2, 3]  # ...yet committed after it
    assert sorted(batch.seq for batch, _ in out["results"]) == [0, 1, 2, 3]
    assert Article.objects.count() == 40 and Mention.objects.count() == 40


def test_a_failed_batch_stops_every_later_commit(index):
    recorder = Recorder(slow={1: 0.3}, fail=1)
    pool = MergePool(workers=2, merge=recorder.merge, on_turn=recorder.on_turn, now=timezone.now())
    for seq in range(3):
        try:
            recorder.submit(pool, seq, rows_of(*range(seq * 10 + 1, seq * 10 + 11)), index)
        except RuntimeError:
            break
    out = close_within(pool)
    assert isinstance(out.get("error"), RuntimeError) and "batch 1 broke" in str(out["error"])
    assert recorder.turns == [0]  # batch 2 may have merged, but it rolled back instead of committing
    assert sorted(Article.objects.values_list("reddit_id", flat=True)) == [
        r["reddit_id"] for r in rows_of(*range(1, 11))
    ]


def test_a_fullname_in_two_batches_in_flight_is_written_once_without_deadlock(index):
    # Batch 0 is slow to start: without the guard, batch 1 would insert c00002 first, batch 0
    # would wait on that row's lock, and batch 1 would wait for batch 0's commit: a deadlock.
    recorder = Recorder(slow={0: 0.8})
    pool = MergePool(workers=2, merge=recorder.merge, on_turn=recorder.on_turn, now=timezone.now())
    first = rows_of(1, 2, body="$GME first")
    second = rows_of(2, 3, body="$TSLA second")
    recorder.submit(pool, 0, first, index)
    recorder.submit(pool, 1, second, index)
    out = close_within(pool)
    assert "error" not in out
    batches = {batch.seq: batch for batch, _ in out["results"]}
    assert batches[1].dropped == 1 and [r["reddit_id"] for r in batches[1].rows] == ["t1_c00003"]
    assert Article.objects.get(reddit_id="t1_c00002").body == "$GME first 2"  # the first copy, as DO NOTHING keeps
    assert list(Mention.objects.filter(article__reddit_id="t1_c00002").values_list("ticker__symbol", flat=True)) == [
        "GME"
    ]


def _import(path: str, workers: int) -> None:
    call_command("import_dump", path, "--batch-size", "7", "--workers", str(workers), "--restart", stdout=StringIO())


def test_parallel_import_stores_what_the_single_connection_import_stores(index, tmp_path: Path):
    lines = encode(
        [comment(n, body=f"$GME and TSLA {n}" if n % 3 else "[removed]", score=n) for n in range(1, 200)]
        + [comment(5, body="a duplicate of line 5, $NVDA")]  # the same fullname again, later in the file
    )
    path = tmp_path / "RC.zst"
    path.write_bytes(zst(lines))

    def snapshot():
        articles = sorted(Article.objects.values_list("reddit_id", "body", "score", "is_removed", "created_utc"))
        mentions = sorted(Mention.objects.values_list("article__reddit_id", "ticker__symbol", "matched_text"))
        return articles, mentions

    _import(str(path), 0)
    inline = snapshot()
    Article.objects.all().delete()
    _import(str(path), 3)
    assert snapshot() == inline
    assert len(inline[0]) == 199 and inline[0][0][4] == datetime(2021, 1, 1, 0, 1, tzinfo=UTC)


def test_workers_out_of_range_is_a_usage_error(index, tmp_path: Path):
    path = tmp_path / "RC.zst"
    path.write_bytes(zst(encode([comment(1)])))
    with pytest.raises(CommandError, match="from 0 to 8"):
        call_command("import_dump", str(path), "--workers", "9", stdout=StringIO())
