"""A real webhook receiver on 127.0.0.1 for the alert tests: http.server in a thread.

It records every request (headers, raw body, whether the signature verified) and answers
as `mode` says: ok (204), error (500), sleep (answer after `sleep` seconds), hold (read the
whole request, then wait for `release` before answering)."""

from __future__ import annotations

import hashlib
import hmac
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    verified: bool | None  # None: no secret to check against
    answered: int | None = None  # the status written back; None if the client was gone


@dataclass
class Receiver:
    url: str
    secret: str = ""
    mode: str = "ok"
    sleep: float = 0.0
    received: list[Received] = field(default_factory=list)
    got_request: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answered_ok(self) -> list[Received]:
        return [r for r in self.received if r.answered and 200 <= r.answered < 300]


def _client_gone(sock: socket.socket) -> bool:
    """The peer closed its end (a killed process's socket): a peek reads end of stream."""
    sock.settimeout(0.2)
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except TimeoutError:
        return False
    except OSError:
        return True


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def do_POST(self):
            mode = receiver.mode
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            verified = None
            if receiver.secret:
                want = "sha256=" + hmac.new(receiver.secret.encode(), body, hashlib.sha256).hexdigest()
                verified = hmac.compare_digest(want, self.headers.get("X-MarketPulse-Signature", ""))
            record = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, verified)
            with receiver.lock:
                receiver.received.append(record)
            receiver.got_request.set()
            if mode == "hold":
                receiver.release.wait(30)
            elif mode == "sleep":
                time.sleep(receiver.sleep)
            if mode == "hold" and _client_gone(self.connection):
                return  # the sender was killed while we held its request: nothing answered
            status = 500 if mode == "error" else 204
            try:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                self.wfile.flush()
                record.answered = status
            except OSError:
                pass

    return Handler


@contextmanager
def webhook_receiver(*, secret: str = "", mode: str = "ok", sleep: float = 0.0, path: str = "/hook/T0/B0/xyz"):
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)
    receiver = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}{path}", secret=secret, mode=mode, sleep=sleep)
    server.RequestHandlerClass = _handler(receiver)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()
