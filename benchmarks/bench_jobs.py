"""Job run times for the cost estimate (issue 16): each scheduled job timed as a whole process.

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE mp_bench_jobs'   # once; the benchmark empties it
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mp_bench_jobs \\
        .venv/bin/python benchmarks/bench_jobs.py [--comments 1500] [--repeats 3] [--out FILE]

What a 15-minute run of r/wallstreetbets does, on one CPU (`taskset -c 0`, the 1 vCPU a
Fargate task gets; this process and the fake Reddit server stay off that CPU):

* the data: a generated daily discussion thread (`ingest.fakereddit.datagen.Generator`,
  fixed seed) with --history comments from the last 10 hours, already stored and scored
  before the timing starts, plus --comments new comments (and --posts new posts) from the
  last 15 minutes that the timed scrape finds. Served by `ingest.fakereddit.FakeReddit` in
  this process, with Reddit's rate-limit headers (1,000 requests per 600-second window, which
  praw paces itself to: ~0.6 s a request) and --latency seconds added to every answer
  (Reddit's API is not on localhost; the figure is an input, recorded in the output). The
  window starts afresh for every timed run, as it does for runs 15 minutes apart;
* the model: a random-init BERT-base (FinBERT's architecture, 110 M parameters) saved to
  var/bench-jobs-model by `benchmarks/bench_sentiment.build_model` (no download);
* every job is `python manage.py ...` as the task runs it (`ENTRYPOINT python manage.py`),
  timed from process start to exit: Python start, Django setup, imports, model load and
  the work all count. CPU seconds (user + sys) and peak RSS come from the child's rusage.
  This machine's 2 cores are shared with other work, so the time the job sat on a run queue
  waiting for its CPU (/proc/PID/schedstat) is taken out: `wall_dedicated_s`, the run time
  on a CPU of its own (a Fargate vCPU), is what the cost uses; the raw wall is kept too.

Timed, --repeats times each (the median goes into the cost):
  scrape_new        scrape_reddit --mode incremental, finding the new batch
  scrape_nothing    the same again: nothing new
  sentiment_fp32    analyze_sentiment --source reddit on the batch's backlog, fp32
  sentiment_int8    the same with SENTIMENT_QUANTIZE=true (dynamic int8 Linear layers)
  sentiment_empty   analyze_sentiment --source reddit with an empty backlog
  pipeline_int8     run_pipeline (scrape, then score in the same process), on a fresh batch
  daily_status      daily_status
plus the startup parts: Python + Django setup + the job modules' imports, torch and
transformers import, model load (fp32, int8).

The figures go to --out (default infra/cost/measured_runtimes.json), which `make cost`
(scripts/cost.py) reads. Other jobs share this machine: the load average before and after
is recorded next to the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

MODEL_DIR = ROOT / "var" / "bench-jobs-model"
DEFAULT_OUT = ROOT / "infra" / "cost" / "measured_runtimes.json"

RESET_NEW = """
import json, sys
from articles.models import Article
from ingest.models import SubredditCheckpoint, ThreadCheckpoint
spec = json.load(open(sys.argv[1]))
Article.objects.filter(reddit_id__in=spec["new_ids"]).delete()
SubredditCheckpoint.objects.update(newest_post_utc=spec["history_newest"])
ThreadCheckpoint.objects.update(reddit_num_comments=0)  # as before the batch: its count moved
"""
RESET_SCORES = """
import json, sys
from articles.models import Article
spec = json.load(open(sys.argv[1]))
Article.objects.filter(reddit_id__in=spec["new_ids"]).update(
    scored_at=None, sentiment_score=None, sentiment_label="", sentiment_confidence=None, sentiment_model="",
)
"""
MARK_SCORED = """
from django.utils import timezone
from articles.models import Article
Article.objects.filter(scored_at__isnull=True).update(scored_at=timezone.now(), sentiment_label="neutral",
    sentiment_score=0.0, sentiment_confidence=1.0, sentiment_model="bench-history")
"""
STARTUP = """
import json, os, sys, time
t0 = time.perf_counter()
import django
django.setup()
from django.core.management import load_command_class
for app, name in (("ingest", "scrape_reddit"), ("sentiment", "analyze_sentiment"), ("ops", "daily_status")):
    load_command_class(app, name)
import praw  # the scraper's client
t1 = time.perf_counter()
import torch, transformers  # noqa: F401
t2 = time.perf_counter()
from django.conf import settings
from sentiment.analyzers import FinbertAnalyzer
FinbertAnalyzer(settings.SENTIMENT_MODEL, quantize=False, threads=1)
t3 = time.perf_counter()
FinbertAnalyzer(settings.SENTIMENT_MODEL, quantize=True, threads=1)
t4 = time.perf_counter()
print(json.dumps({"django_setup_and_job_imports": t1 - t0, "torch_transformers_import": t2 - t1,
                  "model_load_fp32": t3 - t2, "model_load_int8": t4 - t3}))
"""


def _schedstat(pid: int) -> tuple[int, int] | None:
    """(ns on a CPU, ns waiting on a run queue) of a process's main thread, or None once gone."""
    try:
        run_ns, wait_ns, _ = (int(x) for x in Path(f"/proc/{pid}/schedstat").read_text().split())
    except (OSError, ValueError):
        return None
    return run_ns, wait_ns


def run_measured(cmd: list[str], env: dict[str, str], *, cpu: int | None, ok: tuple[int, ...] = (0,)) -> dict:
    """One child process from start to exit: wall seconds, CPU seconds (user + sys) and peak RSS
    from its own rusage (os.wait4), and the time it sat on a run queue waiting for the CPU
    that other work on this shared machine held (/proc/PID/schedstat, sampled every 50 ms).

    wall - run-queue wait is the time on a CPU of its own, as a Fargate vCPU is: the figure
    the cost uses (`wall_dedicated_s`). Waiting for Reddit or PostgreSQL stays in it."""
    argv = (["taskset", "-c", str(cpu)] if cpu is not None else []) + cmd
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=out, stderr=err, text=True)
        last: list[tuple[int, int]] = []
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                stat = _schedstat(proc.pid)
                if stat is not None:
                    last[:] = [stat]
                done.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{stdout[-3000:]}\n{stderr[-3000:]}")
    summary = [line for line in stdout.splitlines() if line.strip() and not line.startswith("{")]
    waited = last[0][1] / 1e9 if last else 0.0
    return {
        "wall_s": round(wall, 3),
        "runqueue_wait_s": round(waited, 3),
        "wall_dedicated_s": round(wall - waited, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "exit": proc.returncode,
        "summary": summary[-1][:300] if summary else "",
        "log_bytes": len(stdout.encode()) + len(stderr.encode()),
    }


def aggregate(samples: list[dict]) -> dict[str, Any]:
    return {
        "wall_dedicated_s": round(statistics.median(s["wall_dedicated_s"] for s in samples), 3),
        "wall_s": round(statistics.median(s["wall_s"] for s in samples), 3),
        "runqueue_wait_s": round(statistics.median(s["runqueue_wait_s"] for s in samples), 3),
        "cpu_s": round(statistics.median(s["cpu_s"] for s in samples), 3),
        "peak_rss_mb": max(s["peak_rss_mb"] for s in samples),
        "walls_s": [s["wall_s"] for s in samples],
        "exit": samples[-1]["exit"],
        "summary": samples[-1]["summary"],
        "log_bytes": int(statistics.median(s["log_bytes"] for s in samples)),
    }


def dataset(*, seed: int, history: int, comments: int, posts: int) -> tuple[dict, dict, float]:
    """(history, new batch, cutoff): one live daily thread plus other posts; ids grow with time."""
    from ingest.fakereddit.datagen import Generator

    now = datetime.now(tz=UTC)
    gen = Generator(seed=seed, newest=now)
    end = gen.newest
    cutoff = end - 15 * 60
    daily = gen.post(
        title=f"Daily Discussion Thread for {now:%B %d, %Y}",
        created=end - 10 * 3600,
        stickied=True,
        flair="Daily Discussion",
        selftext="Your daily trading discussion thread.",
    )
    for i in range(20):
        gen.post(title=f"{gen.text()[:80]} ({i})", selftext=gen.text(), created=end - 9 * 3600 + i * 1500)
    gen.thread(daily, count=history, start=end - 10 * 3600 + 60, end=cutoff - 60, deep_chain=10)
    gen.thread(daily, count=comments, start=cutoff + 1, end=end - 30)
    for i in range(posts):
        gen.post(title=f"{gen.text()[:80]} (new {i})", selftext=gen.text(), created=cutoff + 60 + i * 60)
    data = gen.dataset()
    old = {"posts": [], "comments": []}
    new = {"posts": [], "comments": []}
    for kind in ("posts", "comments"):
        for thing in data[kind]:
            (new if thing["created_utc"] >= cutoff else old)[kind].append(thing)
    daily_num = len([c for c in data["comments"] if c["link_id"] == daily["name"]])
    for post in old["posts"]:
        if post["name"] == daily["name"]:
            # Reddit's count moves with the batch: the scraper fetches a thread only then.
            new["thread_now"] = dict(post, num_comments=daily_num)
            post["num_comments"] = daily_num - len(new["comments"])
    return old, new, cutoff


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=1500, help="new comments in the 15-minute batch (1500)")
    parser.add_argument("--posts", type=int, default=10, help="new posts in the batch (10)")
    parser.add_argument("--history", type=int, default=3000, help="comments already stored in the thread (3000)")
    parser.add_argument(
        "--latency", type=float, default=0.3, help="seconds added to every fake Reddit answer (0.3: Reddit's API)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs of each job; the median counts (3)")
    parser.add_argument("--cpu", type=int, default=0, help="the CPU the jobs are pinned to (taskset -c; 0)")
    parser.add_argument("--seed", type=int, default=16, help="generator seed (16)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the figures go (JSON)")
    parser.add_argument(
        "--image-pull-seconds",
        type=float,
        default=40.0,
        help="Fargate's pull of the jobs image at every start (not measurable here: no registry; 40)",
    )
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("set DATABASE_URL=postgres://... (a database this benchmark may empty)")
    others = sorted(set(os.sched_getaffinity(0)) - {args.cpu})
    if others:  # the server thread and this process keep off the jobs' CPU
        os.sched_setaffinity(0, others)

    load_before = loadavg()
    t_start = time.perf_counter()
    if not (MODEL_DIR / "model.safetensors").exists():
        from bench_sentiment import build_model

        print(f">> building the random-init BERT-base model in {MODEL_DIR} (no download)", flush=True)
        build_model(MODEL_DIR, seed=args.seed)

    from ingest.fakereddit import FakeReddit

    old, new, _cutoff = dataset(seed=args.seed, history=args.history, comments=args.comments, posts=args.posts)
    server = FakeReddit(rate_limit=1000, window_seconds=600)
    server.add_dataset(old["posts"], old["comments"])
    url = server.start()
    server.delay = args.latency

    env = dict(
        os.environ,
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="benchmark-only-" + "x" * 40,
        DJANGO_ALLOWED_HOSTS="localhost",
        MARKETPULSE_IGNORE_DOTENV="1",
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
        REDDIT_OAUTH_URL=url,
        REDDIT_URL=url,
        REDDIT_CLIENT_ID="bench",
        REDDIT_CLIENT_SECRET="bench",
        REDDIT_SUBREDDITS="wallstreetbets",
        SENTIMENT_MODEL=str(MODEL_DIR),
        SENTIMENT_BACKEND="finbert",
        SENTIMENT_QUANTIZE="false",
        HF_HUB_OFFLINE="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.pop("SENTIMENT_THREADS", None)  # the task's own choice on 1 CPU
    manage = [sys.executable, str(ROOT / "manage.py")]
    spec_file = ROOT / "var" / "bench-jobs-spec.json"
    spec_file.write_text(
        json.dumps(
            {
                "new_ids": [t["name"] for t in [*new["posts"], *new["comments"]]],
                "history_newest": datetime.fromtimestamp(max(p["created_utc"] for p in old["posts"]), tz=UTC)
                .isoformat()
                .replace("+00:00", "Z"),
            }
        )
    )

    def shell(code: str) -> None:
        script = ROOT / "var" / "bench-jobs-snippet.py"
        script.write_text(
            "import os, sys, django\n"
            f"sys.path.insert(0, {str(ROOT)!r})\n"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'marketpulse.settings')\n"
            "django.setup()\n" + code
        )
        subprocess.run([sys.executable, str(script), str(spec_file)], env=env, cwd=ROOT, check=True)

    print(f">> preparing the database ({env['DATABASE_URL'].rsplit('/', 1)[-1]}): migrate, flush, load_tickers")
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    subprocess.run([*manage, "flush", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)
    subprocess.run([*manage, "load_tickers", "-v0"], env=env, cwd=ROOT, check=True)
    print(f">> history: {len(old['comments'])} comments, {len(old['posts'])} posts, stored and marked scored")
    subprocess.run(
        [*manage, "scrape_reddit", "--mode", "incremental"], env=env, cwd=ROOT, check=True, capture_output=True
    )
    shell(MARK_SCORED)
    server.add_dataset([*new["posts"], new["thread_now"]], new["comments"])
    print(f">> the batch: {len(new['comments'])} new comments, {len(new['posts'])} new posts", flush=True)

    results: dict[str, dict] = {}
    cpu = args.cpu

    def measure(name: str, cmd: list[str], *, before=None, extra_env=None, ok=(0,)) -> None:
        samples = []
        for _ in range(args.repeats):
            if before is not None:
                before()
            server._window_start, server._window_used = time.monotonic(), 0  # a fresh rate-limit window
            samples.append(run_measured(cmd, dict(env, **(extra_env or {})), cpu=cpu, ok=ok))
        results[name] = aggregate(samples)
        r = results[name]
        print(
            f"   {name:<16} median {r['wall_dedicated_s']:7.2f} s on a CPU of its own ({r['wall_s']:.2f} s wall, "
            f"{r['runqueue_wait_s']:.2f} s waiting for the shared CPU), {r['cpu_s']:6.2f} s CPU, "
            f"peak RSS {r['peak_rss_mb']:6.0f} MB"
            f"   runs {r['walls_s']}   | {r['summary'][:110]}",
            flush=True,
        )

    print(f">> timing, {args.repeats} runs each, pinned to CPU {cpu} (load average {load_before})")
    scrape = [*manage, "scrape_reddit", "--mode", "incremental"]
    score = [*manage, "analyze_sentiment", "--source", "reddit"]
    measure("scrape_new", scrape, before=lambda: shell(RESET_NEW))
    measure("scrape_nothing", scrape)
    measure("sentiment_fp32", score, before=lambda: shell(RESET_SCORES))
    measure("sentiment_int8", score, before=lambda: shell(RESET_SCORES), extra_env={"SENTIMENT_QUANTIZE": "true"})
    measure("sentiment_empty", score)
    measure(
        "pipeline_int8",
        [*manage, "run_pipeline"],
        before=lambda: shell(RESET_NEW),
        extra_env={"SENTIMENT_QUANTIZE": "true"},
    )
    measure("pipeline_nothing", [*manage, "run_pipeline"], extra_env={"SENTIMENT_QUANTIZE": "true"})
    measure("daily_status", [*manage, "daily_status"], ok=(0, 1))

    startups = []
    for _ in range(args.repeats):
        done = subprocess.run(
            ["taskset", "-c", str(cpu), sys.executable, "-c", STARTUP],
            env=dict(env, DJANGO_SETTINGS_MODULE="marketpulse.settings", PYTHONPATH=str(ROOT)),
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        startups.append(json.loads(done.stdout.strip().splitlines()[-1]))
    python_bare = []
    for _ in range(args.repeats):
        python_bare.append(run_measured([sys.executable, "-c", "pass"], env, cpu=cpu)["wall_s"])
    startup = {k: round(statistics.median(s[k] for s in startups), 3) for k in startups[0]}
    startup["python_interpreter"] = round(statistics.median(python_bare), 3)
    print(f"   startup parts (median): {startup}")
    server.stop()

    report = {
        "issue": 16,
        "command": f"DATABASE_URL=postgres://...{os.environ['DATABASE_URL'].rsplit('/', 1)[-1]} "
        ".venv/bin/python benchmarks/bench_jobs.py " + " ".join(sys.argv[1:]),
        "measured_at": datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%MZ"),
        "machine": {
            "cpus": os.cpu_count(),
            "pinned_to_cpu": cpu,
            "python": platform.python_version(),
            "load_average_before": load_before,
            "load_average_after": loadavg(),
            "database": "PostgreSQL on 127.0.0.1",
        },
        "inputs": {
            "new_comments": len(new["comments"]),
            "new_posts": len(new["posts"]),
            "history_comments": len(old["comments"]),
            "reddit_latency_s": args.latency,
            "reddit_rate_limit": "1000 requests / 600 s window (praw paces to it)",
            "model": "random-init BertForSequenceClassification, BERT-base (110 M parameters), fp32 weights 418 MB",
            "repeats": args.repeats,
        },
        "jobs": results,
        "startup_s": startup,
        "not_measured": {
            "image_pull_s": args.image_pull_seconds,
            "why": "Fargate bills from the start of the image pull, and pulls the whole image at every task "
            "start; no container registry can be reached here to time it. The jobs image is ~1.85 GB "
            "uncompressed with FinBERT (BENCHMARKS.md, Images: 1.43 GB with a tiny model + 0.42 GB of "
            "weights), ~0.75 GB compressed; the figure assumes ~20 s per uncompressed GB (download and "
            "gzip extraction). Replace it with the pull time of real tasks (DescribeTasks pullStartedAt "
            "to pullStoppedAt) and rerun with --image-pull-seconds.",
        },
        "seconds_total": round(time.perf_counter() - t_start, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f">> wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
