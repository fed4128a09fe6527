"""Benchmark: train_stance end to end on 10,000 labelled examples: import + train + artefact write.

    .venv/bin/python benchmarks/bench_train_stance.py [--n 10000] [--seed 0] [--json-out FILE]

What it times, in a fresh child process (so its peak RSS is the job's own: Python, Django,
numpy/scipy/scikit-learn, VADER, the data and the model):

  1. `manage.py import_labels FILE --source bench` of a 10,000-row label,text CSV;
  2. `manage.py train_stance --promote`: read the examples, stratified split (20% held out),
     train the linear model, measure it and the current scorer (cues + VADER: nothing is
     promoted yet) on the held-out examples, write the version to a local model store,
     promote it.

The 10,000 texts are the demo training set augmented as in bench_train.py (tickers swapped,
half padded with a generated Reddit-like comment), de-duplicated the way import_labels
does, so 10,000 distinct examples reach the model. The database is a throw-away SQLite
file (or DATABASE_URL when set: point it at a scratch PostgreSQL database), migrated
before the timed part; the store a temporary directory. Reported: seconds per step (wall
and CPU), the load average, peak RSS (ru_maxrss of the child), the version written.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def write_examples(path: Path, n: int, seed: int) -> int:
    from bench_train import augmented

    from sentiment.models import text_hash

    seen: set[str] = set()
    rows: list[tuple[str, str]] = []
    factor = 1.3
    while len(rows) < n:
        texts, labels = augmented(int(n * factor), seed)
        seen.clear()
        rows.clear()
        for text, label in zip(texts, labels, strict=True):
            digest = text_hash(text)
            if digest not in seen:
                seen.add(digest)
                rows.append((label, text))
            if len(rows) == n:
                break
        factor *= 1.5
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["label", "text"])
        writer.writerows(rows)
    return sum(len(t) for _, t in rows) // len(rows)


def child(csv_path: str, out_path: str) -> None:
    import django

    django.setup()
    from io import StringIO

    from django.core.management import call_command

    result: dict = {}
    for step, args in (
        ("import_labels", ["import_labels", csv_path, "--source", "bench"]),
        ("train_stance", ["train_stance", "--promote"]),
    ):
        out = StringIO()
        start, cpu = time.perf_counter(), time.process_time()
        call_command(*args, stdout=out, stderr=out)
        result[step] = {
            "seconds_wall": round(time.perf_counter() - start, 2),
            "seconds_cpu": round(time.process_time() - cpu, 2),
            "output": [line for line in out.getvalue().splitlines() if not line.startswith('{"_aws"')],
        }
    result["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    Path(out_path).write_text(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json-out")
    parser.add_argument("--child", nargs=2, metavar=("CSV", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketpulse.settings")
    with tempfile.TemporaryDirectory(prefix="bench-train-stance-") as tmp:
        work = Path(tmp)
        env = dict(
            os.environ,
            DJANGO_DEBUG="true",
            MARKETPULSE_IGNORE_DOTENV="1",
            STANCE_MODEL_STORE=str(work / "store"),
            LOG_LEVEL="WARNING",
            PYTHONPATH=str(ROOT),
        )
        env.setdefault("DATABASE_URL", f"sqlite:///{work / 'bench.sqlite3'}")
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0"], env=env, check=True)
        import django

        os.environ.update({k: env[k] for k in ("DJANGO_DEBUG", "MARKETPULSE_IGNORE_DOTENV", "DATABASE_URL")})
        django.setup()
        data = work / "labels.csv"
        mean_chars = write_examples(data, args.n, args.seed)
        out = work / "result.json"
        start = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--child", str(data), str(out)], env=env, check=True)
        total = time.perf_counter() - start
        result = json.loads(out.read_text())
    report = {
        "n": args.n,
        "mean_chars": mean_chars,
        "database": env["DATABASE_URL"].split("://")[0],
        "end_to_end_seconds_wall": round(total, 2),
        "import_labels": result["import_labels"],
        "train_stance": result["train_stance"],
        "peak_rss_mib": result["peak_rss_mib"],
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": len(os.sched_getaffinity(0)),
    }
    print(json.dumps(report, indent=2))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
