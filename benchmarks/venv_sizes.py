"""Installed size of the web venv vs the jobs venv (the two images' Python payloads).

    .venv/bin/python benchmarks/venv_sizes.py [--keep] [--json]

Builds a fresh venv from requirements/web.txt and one from requirements/jobs.txt
under var/bench-venvs/ (torch: whatever CPU build pip resolves here, as `make install`
does), then measures the bytes on disk of each venv (files, not blocks, excluding
__pycache__, which the images never write: PYTHONDONTWRITEBYTECODE=1) and the biggest
packages in each. The naive way is one image for everything, i.e. the jobs venv as
the web image: the ratio says what the split saves. Goal: web < 10% of jobs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench-venvs"


def tree_bytes(path: Path) -> int:
    total = 0
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in filenames:
            full = os.path.join(dirpath, name)
            if not os.path.islink(full):
                total += os.path.getsize(full)
    return total


def build(name: str, requirements: str) -> tuple[Path, float]:
    target = OUT / name
    shutil.rmtree(target, ignore_errors=True)
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(target)], check=True)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    subprocess.run(
        [
            str(target / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-compile",
            "-r",
            str(ROOT / requirements),
        ],
        check=True,
        env=env,
    )
    return target, time.monotonic() - started


def site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


def biggest(venv: Path, n: int = 6) -> list[tuple[str, int]]:
    sp = site_packages(venv)
    sizes = [
        (entry.name, tree_bytes(entry) if entry.is_dir() else entry.stat().st_size)
        for entry in sp.iterdir()
        if not entry.name.endswith((".dist-info", ".pth")) and entry.name != "__pycache__"
    ]
    return sorted(sizes, key=lambda item: -item[1])[:n]


def mib(n: int) -> str:
    return f"{n / 2**20:,.1f} MiB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", action="store_true", help="Keep the venvs under var/bench-venvs/ afterwards.")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON too.")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)

    results = {}
    for name, requirements in (("web", "requirements/web.txt"), ("jobs", "requirements/jobs.txt")):
        venv, seconds = build(name, requirements)
        results[name] = {
            "requirements": requirements,
            "bytes": tree_bytes(venv),
            "site_packages_bytes": tree_bytes(site_packages(venv)),
            "install_seconds": round(seconds, 1),
            "biggest": biggest(venv),
        }
    web, jobs = results["web"]["bytes"], results["jobs"]["bytes"]
    ratio = web / jobs
    print(f"Python {sys.version.split()[0]}, pip install into a fresh venv, sizes without __pycache__")
    print(f"{'venv':<6} {'installed':>12} {'install time':>13}  biggest packages")
    for name, r in results.items():
        top = ", ".join(f"{pkg} {mib(size)}" for pkg, size in r["biggest"][:4])
        print(f"{name:<6} {mib(r['bytes']):>12} {r['install_seconds']:>12.1f}s  {top}")
    print(f"web / jobs = {ratio:.1%} (goal < 10%): {'met' if ratio < 0.10 else 'NOT met'}")
    if args.json:
        print(json.dumps({**results, "ratio": ratio}, indent=2))
    if not args.keep:
        shutil.rmtree(OUT, ignore_errors=True)
    return 0 if ratio < 0.10 else 1


if __name__ == "__main__":
    raise SystemExit(main())
