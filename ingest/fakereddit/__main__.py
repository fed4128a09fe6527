"""Run the replay server: `python -m ingest.fakereddit --port 8765 --data ingest/sample_data`.

Prints its URL, then serves until killed (SIGTERM/SIGINT). Point the scraper at it
with REDDIT_OAUTH_URL and REDDIT_URL set to that URL.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from ingest.fakereddit.server import FakeReddit

DEFAULT_DATA = Path(__file__).resolve().parent.parent / "sample_data"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest.fakereddit", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default 0: a free one)")
    parser.add_argument(
        "--data", default=str(DEFAULT_DATA), help="a directory of *.json datasets/cassettes, or one file"
    )
    parser.add_argument(
        "--rate-limit", type=int, default=100, help="requests per window before 429 (Reddit: 100/minute)"
    )
    parser.add_argument("--window", type=int, default=60, help="rate-limit window in seconds")
    parser.add_argument("--slow", type=float, default=0.0, help="delay every answer by this many seconds")
    parser.add_argument(
        "--no-shift",
        action="store_true",
        help="keep the recorded timestamps (default: shift them so the newest item is a minute old)",
    )
    args = parser.parse_args(argv)
    server = FakeReddit(
        data=args.data,
        rate_limit=args.rate_limit,
        window_seconds=args.window,
        shift_to_now=not args.no_shift,
        host=args.host,
        port=args.port,
    )
    server.delay = args.slow
    url = server.start()
    stats = f"{len(server.state.posts)} posts, {len(server.state.comments)} comments"
    sys.stdout.write(f"fakereddit serving {stats} at {url}\n")
    sys.stdout.flush()
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
