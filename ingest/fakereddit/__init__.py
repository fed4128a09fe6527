"""A Reddit-compatible HTTP server for tests and the demo (see `server.py`)."""

from ingest.fakereddit.server import FakeReddit, Fault

__all__ = ["FakeReddit", "Fault"]
