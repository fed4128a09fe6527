"""manage.py import_dump (issue 14), on SQLite and PostgreSQL (COPY + merge there).

Dump files are made here with zstandard and the dumps' long window (window_log 31,
long-distance matching, streamed), or as plain NDJSON.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
import zstandard
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import Article, Mention, Ticker, TickerHourly
from ingest.dumps import services
from ingest.dumps.reader import dump_identity
from ingest.dumps.services import identity_key
from ingest.locks import dump_lock_key
from ingest.models import DumpCheckpoint
from ingest.upsert import articles_upsert, ticker_index_load
from ingest.validation import item_validate
from marketpulse.models import JobRun
from sentiment.selectors import articles_claimable

JAN_1 = 1609459200  # 2021-01-01T00:00:00Z
SYMBOLS = ["GME", "TSLA", "NVDA", "AMC", "IT", "DD"]


@pytest.fixture
def symbols(db):
    Ticker.objects.bulk_create([Ticker(symbol=s, name=s) for s in SYMBOLS], ignore_conflicts=True)
    return {t.symbol: t.pk for t in Ticker.objects.all()}


def zst(lines: list[bytes]) -> bytes:
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=31, enable_ldm=True)
    out = io.BytesIO()
    with zstandard.ZstdCompressor(compression_params=params).stream_writer(out, closefd=False) as writer:
        writer.write(b"".join(line + b"\n" for line in lines))
    return out.getvalue()


def encode(records: list) -> list[bytes]:
    return [r if isinstance(r, bytes) else json.dumps(r, ensure_ascii=False).encode() for r in records]


def comment(n: int, **fields) -> dict:
    record = {
        "id": f"c{n:05d}",
        "author": f"ape{n}",
        "body": f"$GME to the moon {n}",
        "created_utc": JAN_1 + 60 * n,
        "link_id": "t3_post1",
        "parent_id": "t3_post1",
        "permalink": f"/r/wallstreetbets/comments/post1/_/c{n:05d}/",
        "score": n,
        "subreddit": "wallstreetbets",
    }
    for key, value in fields.items():
        if value is ...:
            record.pop(key, None)
        else:
            record[key] = value
    return record


def submission(n: int, **fields) -> dict:
    record = {
        "id": f"p{n:05d}",
        "author": f"ape{n}",
        "title": f"NVDA YOLO {n}",
        "selftext": "calls on $NVDA",
        "created_utc": JAN_1 + 60 * n,
        "num_comments": n,
        "permalink": f"/r/wallstreetbets/comments/p{n:05d}/nvda_yolo/",
        "score": 10 * n,
        "subreddit": "wallstreetbets",
    }
    for key, value in fields.items():
        if value is ...:
            record.pop(key, None)
        else:
            record[key] = value
    return record


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def run_import(*args, **kwargs) -> str:
    out = StringIO()
    call_command("import_dump", *args, stdout=out, stderr=StringIO(), verbosity=0, **kwargs)
    return out.getvalue()


def default_filters(source: str) -> str:
    """The checkpoint filters of a run with no filter options (REDDIT_SUBREDDITS)."""
    return services.checkpoint_filters(services.import_options(source=source))


def last_run() -> JobRun:
    return JobRun.objects.filter(command="import_dump").order_by("-pk").first()


MIXED = [
    comment(1),  # int created_utc
    comment(2, created_utc=str(JAN_1 + 120), body="IT is DD, TSLA calls"),  # an old file's string
    comment(3, body="[deleted]", author="[deleted]"),
    comment(4, body="[removed]"),
    comment(5, permalink=..., score=..., author=...),  # fields old files lack
    # A bad line is seen when it names a wanted subreddit (the pre-filter skips the rest unparsed).
    b'{"subreddit": "wallstreetbets", "id": "c00006", "body": "cut in the mid',  # not JSON
    b'[{"subreddit": "wallstreetbets"}]',  # JSON, not an object
    comment(7, created_utc="yesterday"),  # rejected by item_validate
    comment(8, subreddit="stocks", body="$TSLA"),  # another subreddit: filtered out
    comment(9, id="t1_c00009", body="$NVDA and $nvda"),  # a prefixed id
    comment(10, link_id=...),  # rejected: a comment without its post
]


# ------------------------------------------------------------------ what is stored


@pytest.mark.django_db(transaction=True)
def test_comments_zst_every_shape_of_line(tmp_path, symbols):
    path = write(tmp_path / "RC_2021-01.zst", zst(encode(MIXED)))
    out = run_import(path)
    rows = {a.reddit_id: a for a in Article.objects.all()}
    assert sorted(rows) == [f"t1_c0000{n}" for n in (1, 2, 3, 4, 5, 9)]
    assert rows["t1_c00002"].created_utc == datetime(2021, 1, 1, 0, 2, tzinfo=UTC)
    assert (rows["t1_c00003"].is_removed, rows["t1_c00003"].body, rows["t1_c00003"].author) == (True, "", "[deleted]")
    assert rows["t1_c00004"].is_removed and rows["t1_c00004"].body == ""
    five = rows["t1_c00005"]
    assert (five.author, five.score, five.permalink) == ("[deleted]", 0, "/r/wallstreetbets/comments/post1/_/c00005/")
    assert all(a.parent_post_id == "t3_post1" and a.kind == "comment" for a in rows.values())
    mentions = sorted(Mention.objects.values_list("article__reddit_id", "ticker__symbol", "matched_text"))
    assert mentions == [
        ("t1_c00001", "GME", "$GME"),
        ("t1_c00002", "TSLA", "TSLA"),  # IT and DD are English here
        ("t1_c00005", "GME", "$GME"),
        ("t1_c00009", "NVDA", "$NVDA"),
    ]
    # the rollups of the imported hours, and the rows wait on the sentiment backlog
    assert TickerHourly.objects.get(ticker_id=symbols["GME"], hour=datetime(2021, 1, 1, tzinfo=UTC)).mentions == 2
    assert set(articles_claimable().values_list("reddit_id", flat=True)) == {
        "t1_c00001",
        "t1_c00002",
        "t1_c00005",
        "t1_c00009",
    }
    run = last_run()
    assert run.status == JobRun.Status.SUCCEEDED
    c = run.counters
    assert (c["lines"], c["accepted"], c["articles_new"], c["comments_new"], c["mentions"]) == (11, 6, 6, 6, 4)
    assert (c["bad_lines"], c["rejected"], c["rejected_created_utc_invalid"], c["rejected_link_id_missing"]) == (
        2,
        2,
        1,
        1,
    )
    assert "6 new" in out and "2 bad lines" in out and "created_utc_invalid 1" in out
    checkpoint = DumpCheckpoint.objects.get()
    assert (checkpoint.line_no, checkpoint.kind, checkpoint.finished_at is not None) == (11, "comments", True)
    assert checkpoint.byte_offset == Path(path).stat().st_size


@pytest.mark.django_db(transaction=True)
def test_hostile_values_are_stored_clean_through_the_merge(tmp_path, symbols):
    # NUL (as a JSON escape), an over-long author, a score past bigint, an emoji as a surrogate
    # pair and a tab/newline/backslash body: what the validator makes of them reaches the table
    # unchanged. (A lone surrogate escape makes the line a bad line: the JSON parser refuses it.)
    lines = [
        b'{"id":"h1","link_id":"t3_p","subreddit":"wallstreetbets","created_utc":1609459200,'
        b'"author":"' + b"a" * 300 + b'","score":1e30,"body":"$GME \\u0000 tab\\there\\nnew \\\\ end"}',
        b'{"id":"h2","link_id":"t3_p","subreddit":"wallstreetbets","created_utc":"1609459260",'
        b'"author":"x\\u0000y","score":"-12","body":"\\ud83d\\ude80 TSLA \\u0000"}',
    ]
    path = write(tmp_path / "RC.zst", zst(lines))
    run_import(path)
    one, two = Article.objects.get(reddit_id="t1_h1"), Article.objects.get(reddit_id="t1_h2")
    expected = [item_validate(json.loads(line), kind="comment").row for line in lines]
    for stored, row in zip((one, two), expected, strict=True):
        assert (stored.body, stored.author, stored.score) == (row["body"], row["author"], row["score"])
    assert "\x00" not in one.body and "\t" in one.body and "\n" in one.body and "\\" in one.body
    assert len(one.author) == 64 and one.score == 2**31 - 1  # COUNT_MAX
    assert two.body.startswith("\U0001f680 TSLA") and two.author == "xy" and two.score == -12
    assert sorted(Mention.objects.values_list("article__reddit_id", "ticker__symbol")) == [
        ("t1_h1", "GME"),
        ("t1_h2", "TSLA"),
    ]


@pytest.mark.django_db(transaction=True)
def test_bad_lines_are_logged_with_their_line_number(tmp_path, symbols, caplog):
    path = write(tmp_path / "RC.ndjson", b"\n".join(encode(MIXED)) + b"\n")
    with caplog.at_level("WARNING", logger="ingest.dumps.services"):
        run_import(path)
    assert "line 6 skipped: not JSON" in caplog.text and "line 7 skipped: not a JSON object" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_submissions_ndjson_kind_told_by_content(tmp_path, symbols):
    records = [
        submission(1),
        submission(2, created_utc=str(JAN_1), selftext="[removed]", removed_by_category="moderator"),
        submission(3, selftext="", num_comments=...),
    ]
    path = write(tmp_path / "dump.jsonl", b"\n".join(encode(records)))  # no final newline
    run_import(path)
    rows = {a.reddit_id: a for a in Article.objects.all()}
    assert sorted(rows) == ["t3_p00001", "t3_p00002", "t3_p00003"]
    assert (rows["t3_p00001"].kind, rows["t3_p00001"].title, rows["t3_p00001"].num_comments) == (
        "post",
        "NVDA YOLO 1",
        1,
    )
    assert (rows["t3_p00002"].is_removed, rows["t3_p00002"].title) == (True, "")
    assert rows["t3_p00003"].num_comments == 0
    # NVDA in the titles; the removed post has no text, so no mention
    assert sorted(Mention.objects.values_list("article__reddit_id", flat=True)) == ["t3_p00001", "t3_p00003"]
    assert last_run().counters["posts_new"] == 3 and DumpCheckpoint.objects.get().kind == "submissions"


@pytest.mark.django_db(transaction=True)
def test_since_until_and_subreddit_filters(tmp_path, symbols):
    records = [comment(n) for n in range(1, 11)] + [comment(11, subreddit="Stocks")]
    path = write(tmp_path / "RC.zst", zst(encode(records)))
    since = datetime.fromtimestamp(JAN_1 + 60 * 3, tz=UTC).isoformat()
    until = datetime.fromtimestamp(JAN_1 + 60 * 6, tz=UTC).isoformat()
    run_import(path, "--since", since, "--until", until, "--subreddit", "wallstreetbets", "--subreddit", "stocks")
    assert sorted(Article.objects.values_list("reddit_id", flat=True)) == ["t1_c00003", "t1_c00004", "t1_c00005"]
    run_import(path, "--restart", "--subreddit", "STOCKS")
    assert Article.objects.filter(subreddit="stocks").count() == 1  # stored lower-case, as the scraper does


@pytest.mark.django_db(transaction=True)
def test_dry_run_writes_nothing(tmp_path, symbols):
    path = write(tmp_path / "RC.zst", zst(encode(MIXED)))
    out = run_import(path, "--dry-run")
    assert "dry run" in out and "6 new" in out
    assert not Article.objects.exists() and not DumpCheckpoint.objects.exists() and not JobRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No such file") as info:
        run_import(str(tmp_path / "RC_missing.zst"))
    assert info.value.returncode == 1


# ------------------------------------------------------------------ live and dump: one row


def live_item(n: int, score: int) -> dict:
    """What the scraper stores for comment n (the API's shape through item_validate)."""
    raw = comment(n, score=score, name=f"t1_c{n:05d}", body=f"$GME to the moon {n}")
    return item_validate(raw, kind="comment").row


@pytest.mark.django_db(transaction=True)
def test_live_first_then_dump_keeps_the_live_score(tmp_path, symbols):
    articles_upsert(items=[live_item(1, 500)], index=ticker_index_load())
    path = write(tmp_path / "RC.zst", zst(encode([comment(1, score=3), comment(2)])))
    run_import(path)
    assert Article.objects.count() == 2
    assert Article.objects.get(reddit_id="t1_c00001").score == 500
    assert Mention.objects.filter(article__reddit_id="t1_c00001").count() == 1
    assert last_run().counters["already_stored"] == 1


@pytest.mark.django_db(transaction=True)
def test_dump_first_then_live_updates_the_score(tmp_path, symbols):
    path = write(tmp_path / "RC.zst", zst(encode([comment(1, score=3)])))
    run_import(path)
    result = articles_upsert(items=[live_item(1, 500)], index=ticker_index_load())
    assert (result.new, result.updated) == (0, 1)
    assert Article.objects.count() == 1 and Article.objects.get().score == 500
    assert Mention.objects.count() == 1


# ------------------------------------------------------------------ faults, resuming, locks


def many(n: int, start: int = 1) -> list[bytes]:
    return encode([comment(i, body=f"$GME {'moon ' * (i % 7)}{i}") for i in range(start, start + n)])


@pytest.mark.django_db(transaction=True)
def test_truncated_zst_stores_what_was_complete_and_fails_clearly(tmp_path, symbols):
    data = zst(many(20000))
    path = write(tmp_path / "RC_partial.zst", data[: len(data) * 2 // 3])
    with pytest.raises(CommandError, match="truncated") as info:
        run_import(path, "--batch-size", "1000")
    assert info.value.returncode == 1 and "checkpoint is at line" in str(info.value)
    checkpoint = DumpCheckpoint.objects.get()
    stored = Article.objects.count()
    assert 0 < stored == checkpoint.line_no < 20000 and checkpoint.finished_at is None
    assert last_run().status == JobRun.Status.FAILED and "truncated" in last_run().error


@pytest.mark.django_db(transaction=True)
def test_rerun_after_a_fault_continues_at_the_checkpoint(tmp_path, symbols):
    path = write(tmp_path / "RC.ndjson", b"\n".join(many(50)) + b"\n")
    checkpoint = DumpCheckpoint.objects.create(
        source=path,
        size=Path(path).stat().st_size,
        version=dump_identity(path).version,
        filters=default_filters(path),
        line_no=20,
    )
    DumpCheckpoint.objects.filter(pk=checkpoint.pk).update(byte_offset=sum(len(line) + 1 for line in many(20)))
    out = run_import(path)
    assert Article.objects.count() == 30 and "after line 20" in out
    assert not Article.objects.filter(reddit_id="t1_c00020").exists()


@pytest.mark.django_db(transaction=True)
def test_a_run_on_a_finished_file_does_nothing(tmp_path, symbols):
    path = write(tmp_path / "RC.zst", zst(many(10)))
    run_import(path)
    assert "nothing to do" in run_import(path)
    assert JobRun.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_same_file_locked_other_file_free(tmp_path, symbols):
    busy = write(tmp_path / "RC_2021-01.zst", zst(many(10)))
    other = write(tmp_path / "RC_2021-02.zst", zst(many(10, start=100)))
    identity = dump_identity(busy)
    if connection.vendor == "postgresql":
        import psycopg

        settings_dict = connection.settings_dict
        holder = psycopg.connect(
            host=settings_dict["HOST"] or "127.0.0.1",
            port=settings_dict["PORT"] or 5432,
            user=settings_dict["USER"],
            password=settings_dict["PASSWORD"] or None,
            dbname=settings_dict["NAME"],
            autocommit=True,
        )
        holder.execute("SELECT pg_advisory_lock(%s)", [dump_lock_key(identity_key(identity, default_filters(busy)))])
    else:  # another live process holds the checkpoint row (this test's parent: alive, same host)
        DumpCheckpoint.objects.create(
            source=identity.source,
            size=identity.size,
            version=identity.version,
            filters=default_filters(busy),
            owner="other",
            hostname=socket.gethostname(),
            pid=os.getppid(),
            heartbeat_at=datetime.now(tz=UTC),
        )
        holder = None
    try:
        started = time.monotonic()
        assert "another run is importing" in run_import(busy)
        assert time.monotonic() - started < 5 and not Article.objects.exists()
        run_import(other)  # a different file is never blocked
        assert Article.objects.count() == 10
    finally:
        if holder is not None:
            holder.close()
    DumpCheckpoint.objects.filter(source=busy, owner="other").update(owner="")  # the SQLite holder ends
    run_import(busy)  # free again
    assert Article.objects.count() == 20


@pytest.mark.django_db(transaction=True)
def test_sqlite_lock_row_of_a_dead_process_is_taken_over(tmp_path, symbols):
    if connection.vendor != "sqlite":
        pytest.skip("the lock row is the SQLite lock (PostgreSQL: advisory lock, released by the server)")
    path = write(tmp_path / "RC.zst", zst(many(10)))
    identity = dump_identity(path)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    DumpCheckpoint.objects.create(
        source=identity.source,
        size=identity.size,
        version=identity.version,
        filters=default_filters(path),
        owner="gone",
        hostname=socket.gethostname(),
        pid=int(dead.stdout),
        heartbeat_at=datetime.now(tz=UTC),
    )
    run_import(path)
    assert Article.objects.count() == 10 and DumpCheckpoint.objects.get().owner == ""


def _wait_for_checkpoint(path: str, *, beyond: int, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = DumpCheckpoint.objects.filter(source=path).values_list("line_no", flat=True).first()
        if line and line > beyond:
            return line
        time.sleep(0.02)
    raise AssertionError("the import never committed a batch")


@pytest.mark.slow
def test_kill_9_mid_file_then_rerun_loses_and_doubles_nothing(tmp_path, symbols, subprocess_env, manage_py):
    total = 6000
    path = write(tmp_path / "RC_2021-01.zst", zst(many(total)))
    command = [*manage_py, "import_dump", path, "--batch-size", "5"]
    proc = subprocess.Popen(command, env=subprocess_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_checkpoint(path, beyond=200)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
    at_kill = DumpCheckpoint.objects.get().line_no
    stored = Article.objects.count()
    assert 0 < at_kill < total and stored == at_kill  # the checkpoint never runs ahead of (or behind) the rows
    done = subprocess.run(command[:-2], env=subprocess_env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert f"after line {at_kill:,}" in done.stdout
    assert Article.objects.count() == total
    assert Mention.objects.count() == total  # every comment names $GME once
    assert Mention.objects.values("article_id").distinct().count() == total
    checkpoint = DumpCheckpoint.objects.get()
    assert checkpoint.line_no == total and checkpoint.finished_at is not None
    # the rollups cover the killed run's batches too
    assert sum(TickerHourly.objects.values_list("mentions", flat=True)) == total


@pytest.mark.slow
def test_sigterm_commits_the_batch_and_exits_143(tmp_path, symbols, subprocess_env, manage_py):
    total = 6000
    path = write(tmp_path / "RC_2021-01.zst", zst(many(total)))
    command = [*manage_py, "import_dump", path, "--batch-size", "5"]
    proc = subprocess.Popen(command, env=subprocess_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_checkpoint(path, beyond=200)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "interrupted" in out and "next run continues" in err
    checkpoint = DumpCheckpoint.objects.get()
    assert 0 < checkpoint.line_no < total and Article.objects.count() == checkpoint.line_no
    run = JobRun.objects.get(command="import_dump")
    assert run.status == JobRun.Status.INTERRUPTED and run.counters["line"] == checkpoint.line_no
    done = subprocess.run(command[:-2], env=subprocess_env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert Article.objects.count() == total and Mention.objects.count() == total


# ------------------------------------------------------------------ S3 (moto in server mode)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def s3_bucket(monkeypatch):
    server = Path(sys.executable).parent / "moto_server"
    if not server.exists():
        pytest.skip(f"SKIPPED: no moto_server beside {sys.executable}")
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [str(server), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.2)
        for key in list(os.environ):
            if key.startswith("AWS_"):
                monkeypatch.delenv(key)
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        import boto3

        client = boto3.client("s3")
        client.create_bucket(Bucket="dumps")
        yield client
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_s3_source(s3_bucket, symbols):
    s3_bucket.put_object(Bucket="dumps", Key="reddit/RC_2021-01.zst", Body=zst(encode(MIXED)))
    s3_bucket.put_object(Bucket="dumps", Key="reddit/RS_2021-01.ndjson", Body=b"\n".join(encode([submission(1)])))
    run_import("s3://dumps/reddit/RC_2021-01.zst")
    run_import("s3://dumps/reddit/RS_2021-01.ndjson")
    assert Article.objects.filter(kind="comment").count() == 6 and Article.objects.filter(kind="post").count() == 1
    checkpoint = DumpCheckpoint.objects.get(source="s3://dumps/reddit/RC_2021-01.zst")
    assert checkpoint.version and checkpoint.finished_at is not None
    with pytest.raises(CommandError, match="cannot read from S3"):
        run_import("s3://dumps/reddit/RC_missing.zst")


@pytest.mark.django_db(transaction=True)
def test_s3_plain_file_resumes_with_a_range_request(s3_bucket, symbols):
    lines = many(30)
    s3_bucket.put_object(Bucket="dumps", Key="RC.ndjson", Body=b"\n".join(lines) + b"\n")
    source = "s3://dumps/RC.ndjson"
    identity = dump_identity(source)
    DumpCheckpoint.objects.create(
        source=source,
        size=identity.size,
        version=identity.version,
        filters=default_filters(source),
        line_no=10,
        byte_offset=sum(len(line) + 1 for line in lines[:10]),
    )
    run_import(source)
    assert Article.objects.count() == 20


# ------------------------------------------------------------------ the PostgreSQL path


@pytest.mark.django_db(transaction=True)
def test_postgres_merges_with_copy_and_a_fixed_number_of_queries(tmp_path, symbols, postgres_only):
    path = write(tmp_path / "RC.zst", zst(many(3000)))
    with CaptureQueriesContext(connection) as ctx:
        run_import(path, "--batch-size", "1000", "--workers", "0")  # on this connection, to count its queries
    merges = [q["sql"] for q in ctx.captured_queries if "ON CONFLICT (reddit_id) DO NOTHING" in q["sql"]]
    assert len(merges) == 3  # one merge statement per batch, whatever the batch size
    assert len(ctx.captured_queries) < 60, len(ctx.captured_queries)
    assert Article.objects.count() == 3000 and Mention.objects.count() == 3000
    run_import(path, "--restart")  # again: nothing doubled, nothing overwritten
    assert Article.objects.count() == 3000 and last_run().counters["already_stored"] == 3000


@pytest.mark.django_db(transaction=True)
def test_imported_hours_only_are_rebuilt(tmp_path, symbols):
    other_hour = datetime(2020, 6, 1, 12, tzinfo=UTC)
    TickerHourly.objects.create(ticker_id=symbols["GME"], hour=other_hour, mentions=7, comments=7)
    path = write(tmp_path / "RC.zst", zst(encode([comment(1), comment(70)])))
    run_import(path)
    hours = dict(TickerHourly.objects.filter(ticker_id=symbols["GME"]).values_list("hour", "mentions"))
    assert hours == {
        other_hour: 7,  # untouched: outside the imported range
        datetime(2021, 1, 1, 0, tzinfo=UTC): 1,
        datetime(2021, 1, 1, 1, tzinfo=UTC): 1,
    }


# ------------------------------------------------------------------ the filters are part of the checkpoint


def two_subreddits(n: int) -> list[bytes]:
    return encode([comment(i, subreddit="wallstreetbets" if i % 2 else "stocks") for i in range(1, n + 1)])


def stop_after_first_batch(monkeypatch) -> None:
    """SIGTERM this process as the first batch is handed to the merge: the run commits it and stops (143)."""
    real = services.mention_rows

    def then_stop(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "mention_rows", then_stop)


@pytest.mark.django_db(transaction=True)
def test_an_interrupted_run_then_other_subreddits_loses_no_rows(tmp_path, symbols, monkeypatch):
    path = write(tmp_path / "RC_2021-01.zst", zst(two_subreddits(400)))
    stop_after_first_batch(monkeypatch)
    with pytest.raises(CommandError) as info:
        run_import(path, "--subreddit", "wallstreetbets", "--batch-size", "50")
    assert info.value.returncode == 143
    monkeypatch.undo()
    interrupted = DumpCheckpoint.objects.get()
    assert 0 < interrupted.line_no < 400 and interrupted.finished_at is None
    out = run_import(path, "--subreddit", "stocks")
    assert "after line" not in out  # its own checkpoint, from the first line
    assert Article.objects.filter(subreddit="stocks").count() == 200
    out = run_import(path, "--subreddit", "wallstreetbets")  # the interrupted one goes on where it stopped
    assert f"after line {interrupted.line_no:,}" in out
    assert Article.objects.filter(subreddit="wallstreetbets").count() == 200
    assert DumpCheckpoint.objects.filter(finished_at__isnull=False).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_finished_file_is_read_again_for_other_filters(tmp_path, symbols):
    path = write(tmp_path / "RC_2021-01.zst", zst(two_subreddits(40)))
    run_import(path, "--subreddit", "wallstreetbets")
    out = run_import(path, "--subreddit", "STOCKS")
    assert "nothing to do" not in out and Article.objects.filter(subreddit="stocks").count() == 20
    assert "nothing to do" in run_import(path, "--subreddit", "r/stocks")  # the same filter, written otherwise
    run_import(path, "--all-subreddits", "--since", "2021-01-01T00:10:00")
    assert Article.objects.count() == 40


# ------------------------------------------------------------------ what is not a dump is refused


def assert_refused(path: str, *args: str, match: str) -> None:
    with pytest.raises(CommandError, match=match) as info:
        run_import(path, *args)
    assert info.value.returncode == 1
    assert not DumpCheckpoint.objects.filter(finished_at__isnull=False).exists()
    assert not Article.objects.exists()


README_TEXT = (Path(__file__).resolve().parents[3] / "README.md").read_bytes()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("options", [(), ("--all-subreddits",)])
def test_a_text_file_is_refused(tmp_path, symbols, options):
    path = write(tmp_path / "README.md", README_TEXT)
    assert_refused(path, *options, match="not a Reddit dump")
    # compressed with zstd it is still not a dump
    assert_refused(write(tmp_path / "README.zst", zst(README_TEXT.splitlines())), *options, match="not a Reddit dump")


@pytest.mark.django_db(transaction=True)
def test_an_empty_file_is_refused(tmp_path, symbols):
    assert_refused(write(tmp_path / "RC_empty.ndjson", b"\n\n"), match="no lines")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("name", "compress"), [("gz", "gzip"), ("bz2", "bz2"), ("xz", "lzma")])
def test_other_compressions_are_refused_with_what_to_do(tmp_path, symbols, name, compress):
    import importlib

    data = importlib.import_module(compress).compress(b"\n".join(many(10)) + b"\n")
    path = write(tmp_path / f"RC_2021-01.ndjson.{name}", data)
    assert_refused(path, "--all-subreddits", match=f"{name if name != 'gz' else 'gzip'}.*decompress it")


@pytest.mark.django_db(transaction=True)
def test_a_file_of_mostly_bad_lines_fails_and_is_not_marked_complete(tmp_path, symbols):
    # It starts like a dump (so it is not refused at once), then most lines are not items.
    lines = [*many(15), *[b"<html>%d</html>" % n for n in range(50)]]
    path = write(tmp_path / "RC_2021-01.ndjson", b"\n".join(lines) + b"\n")
    for _ in range(2):  # a rerun does not mark it complete either
        with pytest.raises(CommandError, match="50 of the 65 lines read are not Reddit items") as info:
            run_import(path, "--all-subreddits")
        assert info.value.returncode == 1
        assert DumpCheckpoint.objects.get().finished_at is None
    assert Article.objects.count() == 15  # the good lines are stored
    path = write(tmp_path / "RC_2021-01.ndjson", b"\n".join(many(15)) + b"\n")  # the file, repaired
    run_import(path, "--all-subreddits", "--restart")
    assert DumpCheckpoint.objects.latest("pk").finished_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_comment_in_a_submissions_file_is_a_counted_kind_mismatch(tmp_path, symbols):
    lines = [submission(n) for n in range(1, 8)] + [comment(100), comment(101, name="t1_c00101")]
    path = write(tmp_path / "RS_2021-01.zst", zst(encode(lines)))
    out = run_import(path)
    assert "(submissions)" in out and "kind_mismatch 2" in out
    assert Article.objects.count() == 7 and not Article.objects.filter(title="").exists()
    assert last_run().counters["rejected_kind_mismatch"] == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", ["RC_2021-01.zst", "RC_2021-01.ndjson"])
def test_an_over_long_line_is_a_counted_bad_line_and_the_import_goes_on(tmp_path, symbols, monkeypatch, name):
    monkeypatch.setattr("ingest.dumps.reader.MAX_LINE_BYTES", 1 << 20)  # 1 MiB here; 8 MiB by default
    long_line = json.dumps(comment(1000, body="$GME " + "a" * (16 << 20))).encode()
    lines = [*many(30), long_line, *many(30, start=31)]
    data = zst(lines) if name.endswith(".zst") else b"\n".join(lines) + b"\n"
    path = write(tmp_path / name, data)
    out = run_import(path, "--batch-size", "10")
    assert "1 bad lines" in out and Article.objects.count() == 60
    checkpoint = DumpCheckpoint.objects.get()
    assert checkpoint.line_no == 61 and checkpoint.finished_at is not None


# ------------------------------------------------------------------ the scraper and a dump converge (item 22)

LIVE_BODY = "edited: switched to $TSLA calls"  # what Reddit shows now
ARCHIVED = {  # what the archive crawled earlier
    "older text": {"body": "$GME to the moon 1", "score": 3},
    "a removed placeholder": {"body": "[removed]", "author": "[deleted]", "score": 1},
}


def live(score: int = 500) -> dict:
    raw = comment(1, score=score, name="t1_c00001", body=LIVE_BODY)
    return item_validate(raw, kind="comment").row


def the_row() -> tuple:
    article = Article.objects.get(reddit_id="t1_c00001")
    tickers = sorted(article.mentions.values_list("ticker__symbol", flat=True))
    hourly = sorted(TickerHourly.objects.filter(mentions__gt=0).values_list("ticker__symbol", "mentions"))
    return article.body, article.author, article.score, article.is_removed, tickers, hourly


def dump_of(tmp_path: Path, archived: dict) -> str:
    return write(tmp_path / "RC_2021-01.zst", zst(encode([comment(1, **archived)])))


CONVERGED = (LIVE_BODY, "ape1", 500, False, ["TSLA"], [("TSLA", 1)])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("archived", ARCHIVED.values(), ids=ARCHIVED.keys())
def test_scrape_then_dump_keeps_the_live_text(tmp_path, symbols, archived):
    articles_upsert(items=[live()], index=ticker_index_load())
    run_import(dump_of(tmp_path, archived))
    assert the_row() == CONVERGED


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("archived", ARCHIVED.values(), ids=ARCHIVED.keys())
def test_dump_then_scrape_takes_the_live_text(tmp_path, symbols, archived):
    run_import(dump_of(tmp_path, archived))
    articles_upsert(items=[live()], index=ticker_index_load())
    assert the_row() == CONVERGED


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("archived", ARCHIVED.values(), ids=ARCHIVED.keys())
def test_a_dump_racing_the_scraper_converges_too(tmp_path, symbols, monkeypatch, archived):
    """The dump commits the row after the scraper looked it up (so the scraper believes it new)
    and before the scraper inserts it: the scraper's insert meets the dump's row."""
    import ingest.upsert

    path = dump_of(tmp_path, archived)
    real = ingest.upsert.chunks
    raced = []

    def chunks_then_dump(values, *args, **kwargs):
        yield from real(values, *args, **kwargs)
        if not raced:  # the scraper's first lookup is done: the dump lands now
            raced.append(True)
            run_import(path)

    monkeypatch.setattr(ingest.upsert, "chunks", chunks_then_dump)
    articles_upsert(items=[live()], index=ticker_index_load())
    assert raced and Article.objects.count() == 1
    assert the_row() == CONVERGED
