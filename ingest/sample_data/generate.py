"""Regenerate the demo's bundled replay data (fixed seed, so the output never changes).

    .venv/bin/python ingest/sample_data/generate.py

Writes `ingest/sample_data/wallstreetbets.json`: a dataset the replay server
(`python -m ingest.fakereddit --data ingest/sample_data`) serves in Reddit's shapes.
Timestamps end on 2026-11-27 20:00 UTC; the server shifts them (and the daily threads'
title dates) to "now" when it starts. One day of r/wallstreetbets as a reader sees it: the
other posts within the last 24 hours, and none of the tests' hostile strings.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from ingest.fakereddit.datagen import wsb_sample  # noqa: E402 (after the sys.path line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=HERE / "wallstreetbets.json", help="where to write (default: next to this script)"
    )
    out = parser.parse_args().out
    data = wsb_sample(other_posts_hours=24.0, hostile=False)
    out.write_text(json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out}: {len(data['posts'])} posts, {len(data['comments'])} comments, {out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
