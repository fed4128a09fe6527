"""Benchmark the site and API through gunicorn at 10k and 1M articles (PostgreSQL).

    .venv/bin/python benchmarks/bench_site.py --seed          # seed both databases, then measure
    .venv/bin/python benchmarks/bench_site.py                 # measure the already seeded databases

For each database (default `mp_bench_10k` with 10,000 articles / 15,000 mentions and
`mp_bench_1m` with 1,000,000 / 1,500,000, both over 90 days and 2,000 tickers, made by
`benchmarks/seed_data.py` with a fixed seed):

1. queries per request for `/`, `/t/TSLA/`, `/api/v1/tickers` (Django test client,
   CaptureQueriesContext, in a subprocess pointed at that database);
2. the naive way beside ours, in the same process: the leaderboard and a ticker's
   7-day timeline aggregated from raw mentions/articles vs from the hourly rollups
   (median of repeated runs);
3. one gunicorn per database (`gunicorn.conf.py`, production settings) on 127.0.0.1,
   then `wrk` (Debian package) in interleaved rounds (every URL against each database
   in turn, so background load hits both sizes alike): a warm-up, then a measured
   run; median/p95/p99 from wrk's own histogram (a Lua `done` hook), the medians over
   the rounds reported; requests/s; non-2xx count; statuses from the access logs.

Results print as a Markdown table and go to benchmarks/out/site.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
URLS = ["/", "/t/TSLA/", "/api/v1/tickers"]
DEFAULT_DBS = [
    "10k=postgres://postgres@127.0.0.1:5432/mp_bench_10k",
    "1m=postgres://postgres@127.0.0.1:5432/mp_bench_1m",
]
SIZES = {"10k": (10_000, 15_000), "1m": (1_000_000, 1_500_000)}
WRK_LUA = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format('WRKJSON {"requests": %d, "duration_us": %d, "non2xx": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p95_us": %d, "p99_us": %d, "mean_us": %.1f}\\n',
    summary.requests, summary.duration, summary.errors.status, errors,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean))
end
"""


def _env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SECRET_KEY="benchmark-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        DJANGO_DEBUG="false",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        MARKETPULSE_IGNORE_DOTENV="1",
        PYTHONPATH=str(ROOT),
        LOG_LEVEL="WARNING",
    )
    return env


# --- In-process part (run in a subprocess per database) ---------------------------------


def _median_ms(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 2)


def inner() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketpulse.settings")
    import django

    django.setup()
    from datetime import timedelta

    from django.core.cache import cache
    from django.db import connection
    from django.db.models import Count, Q, Sum
    from django.db.models.functions import TruncHour
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from articles import leaderboard, selectors
    from articles.models import Article, Mention

    client = Client(HTTP_HOST="127.0.0.1")
    out: dict = {"queries": {}, "naive_vs_rollups": {}}
    for url in URLS:
        cache.clear()
        # Read the counts at once: every request start resets the connection's query log.
        with CaptureQueriesContext(connection) as cold:
            client.get(url)
        n_cold = len(cold)
        with CaptureQueriesContext(connection) as warm:
            response = client.get(url)
        n_warm = len(warm)
        walls, cpus = [], []
        for _ in range(20):
            w0, c0 = time.perf_counter(), time.process_time()
            client.get(url)
            walls.append((time.perf_counter() - w0) * 1000)
            cpus.append((time.process_time() - c0) * 1000)
        out["queries"][url] = {
            "status": response.status_code,
            "queries": n_warm,
            "queries_cold": n_cold,
            "bytes": len(response.content),
            "inproc_wall_ms": round(statistics.median(walls), 2),
            "inproc_cpu_ms": round(statistics.median(cpus), 2),
        }
    out["articles"] = Article.objects.count()
    out["mentions"] = Mention.objects.count()

    end = leaderboard.window_end()
    start, prev = end - timedelta(hours=24), end - timedelta(hours=48)
    label = Q(article__reviewed_label="positive") | Q(article__reviewed_label="", article__sentiment_label="positive")

    def naive_board():
        cur = Q(created_utc__gte=start)
        return list(
            Mention.objects.filter(created_utc__gte=prev, created_utc__lt=end)
            .values("ticker_id", "ticker__symbol")
            .annotate(
                m=Count("id", filter=cur),
                mp=Count("id", filter=~cur),
                up=Sum("article__score", filter=cur),
                pos=Count("id", filter=cur & label),
            )
            .order_by()
        )

    def rollup_board():
        cache.clear()  # the full computation (version, aggregate, sparklines), not a cache hit
        return leaderboard.ticker_leaderboard(window="24h")

    def rollup_board_cached():
        return leaderboard.ticker_leaderboard(window="24h")

    tsla = selectors.ticker_get(symbol="TSLA")

    def naive_timeline():
        return list(
            Mention.objects.filter(ticker=tsla, created_utc__gte=end - timedelta(days=7), created_utc__lt=end)
            .annotate(h=TruncHour("created_utc"))
            .values("h")
            .annotate(m=Count("id"), up=Sum("article__score"), pos=Count("id", filter=label))
            .order_by()
        )

    def rollup_timeline():
        return selectors.ticker_timeline(ticker=tsla, range_="7d")

    out["naive_vs_rollups"] = {
        "leaderboard 24h": {
            "naive_ms": _median_ms(naive_board, 5),
            "rollups_ms": _median_ms(rollup_board, 15),
            "cached_ms": _median_ms(rollup_board_cached, 15),
        },
        "TSLA timeline 7d": {"naive_ms": _median_ms(naive_timeline, 5), "rollups_ms": _median_ms(rollup_timeline, 15)},
    }
    print("INNERJSON " + json.dumps(out))


# --- Driver ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_up(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited early; see its error.log")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not answer /health")


def _wrk(url: str, *, threads: int, connections: int, duration: int, lua: str) -> dict:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "-s", lua, url]
    result = subprocess.run(cmd, capture_output=True, text=True, check=True)
    line = [x for x in result.stdout.splitlines() if x.startswith("WRKJSON ")][-1]
    data = json.loads(line.removeprefix("WRKJSON "))
    data["rps"] = round(data["requests"] / (data["duration_us"] / 1e6), 1)
    return data


def inner_measure(label: str, database_url: str) -> dict:
    env = _env(database_url)
    inner_run = subprocess.run(
        [sys.executable, __file__, "--inner"], env=env, capture_output=True, text=True, cwd=ROOT, check=False
    )
    if inner_run.returncode != 0:
        raise SystemExit(f"in-process measurement failed for {label}:\n{inner_run.stderr[-3000:]}")
    result = json.loads([x for x in inner_run.stdout.splitlines() if x.startswith("INNERJSON ")][-1][10:])
    result["label"] = label
    return result


class Server:
    """gunicorn with gunicorn.conf.py on a free local port, logs to files (a pipe nobody reads would stall it)."""

    def __init__(self, database_url: str, workers: int) -> None:
        self.port = _free_port()
        env = dict(_env(database_url), GUNICORN_BIND=f"127.0.0.1:{self.port}", GUNICORN_ACCESS_LOG="-")
        if workers:
            env["WEB_CONCURRENCY"] = str(workers)
        self.logs = tempfile.mkdtemp(prefix="bench-site-")
        self.access = open(f"{self.logs}/access.log", "w")
        self.errors = open(f"{self.logs}/error.log", "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=self.access,
            stderr=self.errors,
            text=True,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        _wait_up(self.base + "/health", self.proc)

    def stop(self) -> dict[str, int]:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.access.close()
        self.errors.close()
        statuses: dict[str, int] = {}
        with open(f"{self.logs}/access.log") as fh:
            for line in fh:
                if line.startswith("{"):
                    status = str(json.loads(line).get("status"))
                    statuses[status] = statuses.get(status, 0) + 1
        return statuses


def _combine(runs: list[dict]) -> dict:
    """Rounds of one URL on one database: medians of the per-round percentiles, overall rate."""
    requests = sum(r["requests"] for r in runs)
    seconds = sum(r["duration_us"] for r in runs) / 1e6
    return {
        "rounds": runs,
        "p50_us": statistics.median(r["p50_us"] for r in runs),
        "p95_us": statistics.median(r["p95_us"] for r in runs),
        "p99_us": statistics.median(r["p99_us"] for r in runs),
        "rps": round(requests / seconds, 1),
        "non2xx": sum(r["non2xx"] for r in runs),
        "socket_errors": sum(r["socket_errors"] for r in runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--db", action="append", help="LABEL=DATABASE_URL (repeatable); labels 10k and 1m set seed sizes"
    )
    parser.add_argument("--seed", action="store_true", help="(re)seed each database with benchmarks/seed_data.py first")
    parser.add_argument(
        "--duration", type=int, default=5, help="seconds of measured wrk load per URL and round (default 5)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds over both databases (default 3)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up load per URL (default 2)")
    parser.add_argument("--connections", type=int, default=4, help="concurrent wrk connections (default 4)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument(
        "--workers", type=int, default=0, help="gunicorn workers (default: gunicorn.conf.py, 2 x cores + 1)"
    )
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        inner()
        return
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian package `wrk`; .ci/pre.d/10-chromium.sh installs it)")
    dbs = [spec.split("=", 1) for spec in (args.db or DEFAULT_DBS)]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(WRK_LUA)
        lua = fh.name
    # Production static storage needs the manifest: collect into STATIC_ROOT (staticfiles/, git-ignored).
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env=_env(dbs[0][1]), check=True, cwd=ROOT
    )
    results = []
    servers: list[Server] = []
    try:
        for label, url in dbs:
            if args.seed:
                articles, mentions = SIZES.get(label, (10_000, 15_000))
                subprocess.run(
                    [
                        sys.executable,
                        str(ROOT / "benchmarks" / "seed_data.py"),
                        "--articles",
                        str(articles),
                        "--mentions",
                        str(mentions),
                    ],
                    env=_env(url),
                    check=True,
                    cwd=ROOT,
                )
        for label, url in dbs:
            print(f">> in-process: {label} ({url.rsplit('/', 1)[-1]})", flush=True)
            results.append(inner_measure(label, url))
        servers = [Server(url, args.workers) for _label, url in dbs]
        # Interleaved: each round runs every URL against every database in turn, so a
        # change in the machine's background load hits both sizes alike.
        runs: dict[tuple[int, str], list[dict]] = {}
        for round_no in range(args.rounds):
            print(f">> wrk round {round_no + 1}/{args.rounds}", flush=True)
            for path in URLS:
                for index, server in enumerate(servers):
                    target = server.base + path
                    _wrk(target, threads=args.threads, connections=args.connections, duration=args.warmup, lua=lua)
                    runs.setdefault((index, path), []).append(
                        _wrk(
                            target, threads=args.threads, connections=args.connections, duration=args.duration, lua=lua
                        )
                    )
        for index, result in enumerate(results):
            result["wrk"] = {path: _combine(runs[(index, path)]) for path in URLS}
    finally:
        for index, server in enumerate(servers):
            results[index]["statuses"] = server.stop()
            results[index]["logs"] = server.logs
        os.unlink(lua)
    out_dir = ROOT / "benchmarks" / "out"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "site.json").write_text(json.dumps(results, indent=1))
    load = os.getloadavg()
    print(
        f"\nwrk -t{args.threads} -c{args.connections} -d{args.duration}s per URL x {args.rounds} interleaved rounds "
        "(medians of the rounds' percentiles), gunicorn workers: "
        f"{args.workers or 'from gunicorn.conf.py'}, {os.cpu_count()} CPUs, "
        f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min)\n"
    )
    print(
        "| data | URL | queries (cold / warm cache) | median ms | p95 ms | p99 ms | req/s | non-2xx | "
        "in-process wall / CPU ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        for url in URLS:
            w = r["wrk"][url]
            q = r["queries"][url]
            print(
                f"| {r['articles']:,} articles / {r['mentions']:,} mentions | `{url}` | {q['queries_cold']} / {q['queries']} | "
                f"{w['p50_us'] / 1000:.1f} | {w['p95_us'] / 1000:.1f} | {w['p99_us'] / 1000:.1f} | {w['rps']} | "
                f"{w['non2xx'] + w['socket_errors']} | {q['inproc_wall_ms']} / {q['inproc_cpu_ms']} |"
            )
    if len(results) == 2:
        print("\n| URL | p50 ratio (big/small) | p95 ratio (big/small) |\n|---|---|---|")
        small, big = results
        for url in URLS:
            a, b = small["wrk"][url], big["wrk"][url]
            print(f"| `{url}` | {b['p50_us'] / a['p50_us']:.2f} | {b['p95_us'] / a['p95_us']:.2f} |")
    for r in results:
        print(f"\nHTTP statuses in gunicorn's access log ({r['label']}): {r['statuses']}; logs in {r['logs']}")
    print("\n| data | aggregate (in-process, median) | naive: raw mentions ms | rollups ms | rollups, cache hit ms |")
    print("|---|---|---|---|---|")
    for r in results:
        for name, v in r["naive_vs_rollups"].items():
            print(f"| {r['articles']:,} | {name} | {v['naive_ms']} | {v['rollups_ms']} | {v.get('cached_ms', '-')} |")


if __name__ == "__main__":
    main()
