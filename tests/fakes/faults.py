"""Faults a fake can inject on any request, including the ones a client cannot see through.

``FaultInjection`` is mixed into a ``FakeService``. Besides the scripted replies of
``fail_next`` (which answer *instead of* handling), it can *handle* a request and
then lose the answer:

    "500", "429"   answered with that status before handling (nothing changed)
    "drop"         handled, then the connection is closed without an answer
    "stall"        handled, then the answer comes only after ``stall_seconds``
                   (longer than the client's timeout)

"drop" and "stall" are the ambiguous cases: the server did the work but the
client sees a failure. ``faults`` counts what was injected, by kind.
"""

from __future__ import annotations

import io
import json
import random
import socket
import threading
import time
from collections import Counter, deque
from http.server import BaseHTTPRequestHandler
from typing import Any


KINDS = ("500", "429", "drop", "stall")
AMBIGUOUS = ("drop", "stall")


class FaultInjection:
    """Mixin for ``FakeService`` subclasses: scripted or seeded random faults, per request."""

    stall_seconds = 0.5

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.faults: Counter[str] = Counter()
        self._scripted: deque[tuple[str, str | None]] = deque()
        self._rng: random.Random | None = None
        self._rate = 0.0
        self._kinds: tuple[str, ...] = KINDS
        self._fault_lock = threading.Lock()
        self._current = threading.local()

    @property
    def current_fault(self) -> str | None:
        """The fault of the request this thread is handling (None: answered normally)."""
        return getattr(self._current, "kind", None)

    def inject_next(self, kind: str, *, times: int = 1, method: str | None = None) -> None:
        """The next ``times`` requests (with this HTTP method, if given) meet this fault."""
        assert kind in KINDS, kind
        with self._fault_lock:
            self._scripted.extend([(kind, method)] * times)

    def chaos(self, rng: random.Random, rate: float, kinds: tuple[str, ...] = KINDS) -> None:
        """From now on each request meets a random fault with probability ``rate`` (0 turns it off)."""
        with self._fault_lock:
            self._rng, self._rate, self._kinds = rng, rate, kinds

    @property
    def ambiguous_faults(self) -> int:
        return sum(self.faults[k] for k in AMBIGUOUS)

    def _pick(self, method: str) -> str | None:
        with self._fault_lock:
            if self._scripted and self._scripted[0][1] in (None, method):
                kind = self._scripted.popleft()[0]
            elif self._rng is not None and self._rate and self._rng.random() < self._rate:
                kind = self._rng.choice(self._kinds)
            else:
                return None
            self.faults[kind] += 1
            return kind

    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        kind = self._pick(handler.command)
        self._current.kind = kind  # what ``handle`` is about to suffer, for fakes that record it
        if kind is None:
            super()._dispatch(handler)  # type: ignore[misc]
        elif kind in ("500", "429"):
            _refuse(handler, int(kind))
        else:
            real = handler.wfile
            handler.wfile = io.BytesIO()  # type: ignore[assignment]
            super()._dispatch(handler)  # type: ignore[misc]  # handled: the fake's state changes
            answer = handler.wfile.getvalue()  # type: ignore[attr-defined]
            handler.wfile = real
            if kind == "stall":
                time.sleep(self.stall_seconds)
                try:
                    real.write(answer)
                except OSError:
                    pass
            handler.close_connection = True
            try:
                handler.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _refuse(handler: BaseHTTPRequestHandler, status: int) -> None:
    """Answer with ``status`` without handling; ``Retry-After: 0`` keeps retrying tests fast."""
    length = int(handler.headers.get("Content-Length") or 0)
    if length:
        handler.rfile.read(length)
    payload = json.dumps({"error": {"code": str(status), "message": "injected fault"}}).encode()
    handler.send_response(status)
    for name, value in (("Content-Type", "application/json"), ("Retry-After", "0"),
                        ("Content-Length", str(len(payload)))):
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(payload)
