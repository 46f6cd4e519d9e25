"""A local Log Analytics query API: HTTPS on 127.0.0.1, the real wire format, KQL run by duckdb-kql.

It answers ``POST /v1/workspaces/{id}/query`` like the service does
(contracts.md section 1): ``{"tables": [{"name", "columns": [{"name", "type"}], "rows"}]}``
with Kusto column types, datetimes as ISO 8601 text and ``dynamic`` values as
JSON text. The tables are a local workspace folder's (``tables/*.jsonl|csv|parquet``,
loaded with the project's own loader), ``now()`` is the fake's service clock,
and faults can be queued: 429 with ``Retry-After``, 5xx, partial errors, slow
answers, each optionally only for queries containing some text. Every request
is recorded so tests assert on what the real ``LogsQueryClient`` sent.

By hand::

    python -m tests.fakes.loganalytics --workspace samples/workspace --port 8443

prints the endpoint, the CA file to trust and the token it accepts.
"""

from __future__ import annotations

import argparse
import json
import re
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

import duckdb_kql
import trustme

from hunting.schema import KUSTO_TYPES
from hunting.sources.tables import SUFFIXES, load_table

WORKSPACE_ID = "11111111-2222-3333-4444-555555555555"
TOKEN = "test-token"
QUERY_PATH = re.compile(r"^/v1/workspaces/(?P<workspace>[^/?]+)/query$")
PARTIAL_MESSAGE = ("Query result set has exceeded the internal data size limit 64000000 "
                   "(E_QUERY_RESULT_SET_TOO_LARGE; see https://aka.ms/kustoquerylimits)")

#: Error bodies in the service's shape, per status.
ERRORS = {
    400: ("BadArgumentError", "The request had some invalid properties"),
    401: ("InvalidTokenError", "The provided authentication is not valid for this resource"),
    403: ("InsufficientAccessError", "The provided credentials have insufficient access to perform the requested operation"),
    404: ("WorkspaceNotFoundError", "The workspace could not be found"),
    429: ("ThrottledError", "Too many requests"),
    500: ("InternalServerError", "An internal error occurred"),
    503: ("ServiceUnavailableError", "The service is unavailable"),
    504: ("GatewayTimeout", "The query exceeded the server timeout"),
}


def error_body(status: int, inner: tuple[str, str] | None = None) -> dict[str, Any]:
    code, message = ERRORS.get(status, ("Error", "Error"))
    error: dict[str, Any] = {"code": code, "message": message}
    if inner:
        error["innererror"] = {"code": inner[0], "message": inner[1]}
    return {"error": error}


@dataclass
class Fault:
    """What to do instead of (or on top of) answering, for the next ``times`` matching queries.

    ``status`` 200 with ``partial`` set answers with rows plus a ``PartialError``
    (keeping the first ``partial_rows`` rows when given); any other status answers
    with that error (and ``inner`` as its innererror). ``times=None`` never runs out (a storm). ``match`` limits the
    fault to queries containing that text.
    """

    status: int = 500
    retry_after: str | None = None
    delay: float = 0.0
    partial: str | None = None
    partial_rows: int | None = None
    inner: tuple[str, str] | None = None  # innererror (code, message) of an error answer
    match: str | None = None
    times: int | None = 1

    def applies(self, query: str) -> bool:
        return (self.times is None or self.times > 0) and (self.match is None or self.match in query)


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: Any
    at: datetime


@dataclass
class _State:
    workspace_ids: set[str]
    token: str | None
    clock: Callable[[], datetime]
    delay: float = 0.0
    faults: list[Fault] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)


class FakeLogAnalytics:
    """The fake service; use as a context manager or ``start()``/``stop()``.

    ``now`` pins the service clock (a datetime) or drives it (a callable);
    by default it is the real clock. ``token=None`` accepts any bearer token.
    """

    def __init__(self, workspace: Path, *, workspace_id: str = WORKSPACE_ID, token: str | None = TOKEN,
                 now: datetime | Callable[[], datetime] | None = None, host: str = "127.0.0.1", port: int = 0):
        self._tables_dir = Path(workspace) / "tables"
        self._con = duckdb_kql.connect()
        for path in sorted(self._tables_dir.iterdir()):
            if path.suffix in SUFFIXES:
                load_table(self._con, path.stem, self._tables_dir)
        self._engine_lock = threading.Lock()  # one DuckDB connection, many server threads
        self._lock = threading.Lock()
        self.state = _State(workspace_ids={workspace_id}, token=token, clock=_clock(now))
        self.workspace_id = workspace_id
        self.token = token
        self._ca = trustme.CA()
        self._dir = tempfile.TemporaryDirectory(prefix="fake-loganalytics-")
        self.ca_pem = str(Path(self._dir.name) / "ca.pem")
        self._ca.cert_pem.write_to_path(self.ca_pem)
        self._server = _TLSServer((host, port), _handler(self), self._ca.issue_cert(host, "localhost"))
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> "FakeLogAnalytics":
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-loganalytics", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)
        self._dir.cleanup()

    def __enter__(self) -> "FakeLogAnalytics":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"https://{host}:{port}"

    # -- test controls ---------------------------------------------------------------------
    def add_fault(self, **kwargs: Any) -> Fault:
        fault = Fault(**kwargs)
        with self._lock:
            self.state.faults.append(fault)
        return fault

    def set_now(self, now: datetime | Callable[[], datetime]) -> None:
        self.state.clock = _clock(now)

    def set_delay(self, seconds: float) -> None:
        """Every answer waits this long first (a slow service)."""
        self.state.delay = seconds

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self.state.requests)

    @property
    def queries(self) -> list[str]:
        return [r.body.get("query", "") for r in self.requests if isinstance(r.body, dict)]

    # -- the service -----------------------------------------------------------------------
    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.state.requests.append(request)

    def take_fault(self, query: str) -> Fault | None:
        with self._lock:
            for fault in self.state.faults:
                if fault.applies(query):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    def run(self, query: str) -> dict[str, Any]:
        """The query's primary table in the service's JSON shape.

        Raises:
            duckdb_kql.KqlError: the KQL does not parse or translate.
            duckdb.Error: it does not bind (unknown column, bad cast).
        """
        with self._engine_lock:
            relation = duckdb_kql.kql(self._con, query, query_now=self.state.clock())
            names = list(relation.columns)
            types = [_kusto_type(str(t)) for t in relation.types]
            rows = relation.fetchall()
        return {"name": "PrimaryResult",
                "columns": [{"name": n, "type": t} for n, t in zip(names, types)],
                "rows": [[_wire(v, t) for v, t in zip(row, types)] for row in rows]}


def _clock(now: datetime | Callable[[], datetime] | None) -> Callable[[], datetime]:
    if now is None:
        return lambda: datetime.now(timezone.utc)
    if callable(now):
        return now
    return lambda: now


def _kusto_type(duck_type: str) -> str:
    if duck_type in KUSTO_TYPES:
        return KUSTO_TYPES[duck_type]
    if duck_type.startswith("DECIMAL"):
        return "decimal"
    if duck_type.endswith("[]") or duck_type.startswith(("STRUCT", "MAP")):
        return "dynamic"
    return "string"


def _wire(value: Any, kusto_type: str) -> Any:
    """A value as the service writes it: ISO datetimes, dynamic as JSON text."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return f"{value.isoformat()}T00:00:00Z"
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    if kusto_type == "dynamic" and not isinstance(value, str):
        return json.dumps(value, default=str)
    return value


class _TLSServer(ThreadingHTTPServer):
    """ThreadingHTTPServer with TLS; the handshake runs in the request's thread, not the accept loop."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type, cert: trustme.LeafCert):
        super().__init__(address, handler)
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(self._context)

    def get_request(self) -> tuple[Any, Any]:
        sock, address = self.socket.accept()
        sock.settimeout(30)
        return self._context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            request.do_handshake()
        except (ssl.SSLError, OSError):
            return
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (timeout) closes mid-answer; nothing to report


def _handler(fake: FakeLogAnalytics) -> type:
    class Handler(BaseHTTPRequestHandler):
        server_version = "FakeLogAnalytics/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw or b"null")
            except json.JSONDecodeError:
                body = None
            fake.record(RecordedRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, body,
                                        datetime.now(timezone.utc)))
            match = QUERY_PATH.match(self.path)
            if not match:
                return self._send(404, {"error": {"code": "PathNotFoundError", "message": "The requested path does not exist"}})
            if fake.token is not None and self.headers.get("Authorization") != f"Bearer {fake.token}":
                return self._send(401, error_body(401))
            if match["workspace"] not in fake.state.workspace_ids:
                return self._send(404, error_body(404))
            if not isinstance(body, dict) or not isinstance(body.get("query"), str):
                return self._send(400, error_body(400, ("InvalidBody", "The request body must have a query")))
            query = body["query"]
            fault = fake.take_fault(query)
            delay = fake.state.delay + (fault.delay if fault else 0.0)
            if delay:
                time.sleep(delay)
            if fault and fault.status != 200:
                headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
                return self._send(fault.status, error_body(fault.status, fault.inner), headers)
            try:
                table = fake.run(query)
            except duckdb_kql.KqlError as exc:
                return self._send(400, error_body(400, ("SyntaxError", str(exc).splitlines()[0])))
            except Exception as exc:  # duckdb binder/conversion errors: the service calls these semantic
                return self._send(400, error_body(400, ("SemanticError", str(exc).splitlines()[0])))
            answer: dict[str, Any] = {"tables": [table]}
            if fault and fault.partial is not None:
                if fault.partial_rows is not None:
                    table["rows"] = table["rows"][:fault.partial_rows]
                answer["error"] = {
                    "code": "PartialError", "message": "There were some errors when processing your query.",
                    "details": [{"code": "EngineError", "message": "Something went wrong processing your query on the server.",
                                 "innererror": {"code": "E_QUERY_RESULT_SET_TOO_LARGE", "message": fault.partial,
                                                "severity": 2, "severityName": "Error"}}]}
            return self._send(200, answer)

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client timed out and left

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.loganalytics", description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", default="samples/workspace", help="workspace folder with tables/")
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--workspace-id", default=WORKSPACE_ID)
    parser.add_argument("--token", default=TOKEN, help="bearer token to accept ('' accepts any)")
    parser.add_argument("--now", help="pin the service clock (ISO 8601); default: the real clock")
    args = parser.parse_args(argv)
    now = datetime.fromisoformat(args.now.replace("Z", "+00:00")) if args.now else None
    with FakeLogAnalytics(Path(args.workspace), workspace_id=args.workspace_id, token=args.token or None,
                          now=now, port=args.port) as fake:
        print(f"endpoint:     {fake.endpoint}\nworkspace id: {fake.workspace_id}\n"
              f"CA to trust:  {fake.ca_pem}\ntoken:        {fake.token or '(any)'}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
