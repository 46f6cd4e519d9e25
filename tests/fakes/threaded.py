"""A small threaded HTTP server on 127.0.0.1 for fakes that speak a real API.

A fake subclasses ``FakeService`` and implements ``handle(request) -> Reply``.
The base records every request (so tests assert on what was sent), counts
calls, adds optional latency (benchmarks), and can be told to answer the next
requests with a scripted fault (429 + Retry-After, 500, malformed JSON, ...)
before it goes back to behaving normally.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Request:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, str]  # first value of each parameter
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-serialisable, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)


class FakeService:
    """Base of the fakes: start with ``with Fake() as fake:`` or ``start()``/``stop()``."""

    def __init__(self, *, latency: float = 0.0):
        self.latency = latency
        self.requests: list[Request] = []
        self.calls: Counter[str] = Counter()  # by path, without the query
        self._faults: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeService":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body leave in two writes; with Nagle + delayed ACK each answer waits ~40 ms
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                fake._dispatch(self)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeService":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- scripting --------------------------------------------------------------------------------

    def fail_next(self, status: int, body: Any = None, headers: dict[str, str] | None = None, *, times: int = 1) -> None:
        """Answer the next ``times`` requests with this reply instead of handling them."""
        with self._lock:
            for _ in range(times):
                self._faults.append(Reply(status, body, dict(headers or {})))

    def malformed_next(self, *, times: int = 1) -> None:
        """Answer the next requests 200 with a body that is not JSON."""
        self.fail_next(200, b'{"result": [ {"sys_id": ', {"Content-Type": "application/json"}, times=times)

    @property
    def calls_total(self) -> int:
        return sum(self.calls.values())

    def reset_counts(self) -> None:
        with self._lock:
            self.calls.clear()
            self.requests.clear()

    # -- for subclasses ---------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        raise NotImplementedError

    # -- plumbing ---------------------------------------------------------------------------------

    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        request = Request(handler.command, parts.path, query, {k: v for k, v in handler.headers.items()}, body)
        with self._lock:
            self.requests.append(request)
            self.calls[parts.path] += 1
            fault = self._faults.popleft() if self._faults else None
        if self.latency:
            time.sleep(self.latency)
        try:
            reply = fault or self.handle(request)
        except Exception as exc:  # a bug in the fake must show up as a 500, not a hung client
            reply = Reply(500, {"error": {"message": f"fake crashed: {type(exc).__name__}: {exc}"}})
        payload = reply.body if isinstance(reply.body, bytes) else (
            b"" if reply.body is None else json.dumps(reply.body).encode())
        handler.send_response(reply.status)
        headers = {"Content-Type": "application/json", **reply.headers} if payload else dict(reply.headers)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)
