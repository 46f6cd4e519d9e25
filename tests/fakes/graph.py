"""A fake Microsoft Graph (v1.0) for Intune ``managedDevices``, plain and through JSON ``$batch`` (contracts.md §6).

    GET  /v1.0/deviceManagement/managedDevices?$filter=deviceName eq 'X'&$select=...&$skiptoken=N
    POST /v1.0/$batch  {"requests": [{"id", "method": "GET", "url": "/deviceManagement/..."}]}   (<= 20)

Like Graph: the envelope is 200 even when inner requests fail, inner responses
come back in another order than asked (clients must match by ``id``), each
inner request can be throttled on its own (429 + ``Retry-After``), pages carry
``@odata.nextLink``, and string comparisons in ``$filter`` ignore case.
``$filter`` supports ``eq`` and ``startswith()`` joined by ``or``.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .threaded import FakeService, Reply, Request

_EQ = re.compile(r"^\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*$")
_STARTSWITH = re.compile(r"^\s*startswith\(\s*(\w+)\s*,\s*'((?:[^']|'')*)'\s*\)\s*$")


class FakeGraph(FakeService):
    """``devices`` are managedDevice objects; ``throttle_next`` makes the next inner requests answer 429."""

    def __init__(self, *, token: str = "test-token", latency: float = 0.0, page_size: int = 100):
        super().__init__(latency=latency)
        self.token = token
        self.page_size = page_size
        self.devices: list[dict[str, Any]] = []
        self.inner_requests: list[str] = []  # every inner URL, in arrival order
        self._inner_faults: deque[tuple[int, dict[str, str], Any]] = deque()
        self._inner_lock = threading.Lock()
        self._indexes: dict[str, tuple[int, dict[str, list[int]]]] = {}

    def add_device(self, device_name: str, upn: str = "", display_name: str = "", **fields: Any) -> dict[str, Any]:
        n = len(self.devices) + 1
        device = {"id": f"00000000-0000-4000-8000-{n:012d}", "deviceName": device_name, "userPrincipalName": upn,
                  "userDisplayName": display_name, "emailAddress": upn,
                  "azureADDeviceId": f"10000000-0000-4000-8000-{n:012d}", "operatingSystem": "Windows",
                  "complianceState": "compliant", "managedDeviceOwnerType": "company",
                  "lastSyncDateTime": "2026-12-01T10:00:00Z", **fields}
        self.devices.append(device)
        return device

    def throttle_next(self, count: int = 1, retry_after: str | None = "0") -> None:
        """The next ``count`` inner requests answer 429 (with ``Retry-After`` unless None)."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self.fail_inner_next(429, {"error": {"code": "TooManyRequests", "message": "throttled"}}, headers, times=count)

    def fail_inner_next(self, status: int, body: Any, headers: dict[str, str] | None = None, *, times: int = 1) -> None:
        with self._inner_lock:
            for _ in range(times):
                self._inner_faults.append((status, dict(headers or {}), body))

    # -- the API ----------------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
        if request.method == "POST" and request.path == "/v1.0/$batch":
            return self._batch(request)
        if request.method == "GET" and request.path.startswith("/v1.0/"):
            status, body, headers = self._get(request.path[len("/v1.0"):], request.query)
            return Reply(status, body, headers)
        return _error(404, "Request_ResourceNotFound", "Resource not found for the segment.")

    def _batch(self, request: Request) -> Reply:
        try:
            items = request.json()["requests"]
        except (ValueError, KeyError, TypeError):
            return _error(400, "BadRequest", "Invalid batch payload format.")
        if not isinstance(items, list) or len(items) > 20:
            return _error(400, "BadRequest", "Number of batch requests exceeds the limit of 20.")
        ids = [str(item.get("id")) for item in items]
        if len(set(ids)) != len(ids):
            return _error(400, "BadRequest", "Batch request ids must be unique.")
        responses = []
        for item in items:
            url = str(item.get("url", ""))
            with self._inner_lock:
                self.inner_requests.append(url)
                fault = self._inner_faults.popleft() if self._inner_faults else None
            if fault:
                status, headers, body = fault
            elif item.get("method") != "GET" or not url.startswith("/"):
                status, body, headers = 400, {"error": {"code": "BadRequest", "message": "Invalid request"}}, {}
            else:
                parts = urlsplit(url)
                query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                status, body, headers = self._get(parts.path, query)
            responses.append({"id": item.get("id"), "status": status,
                              "headers": {"Content-Type": "application/json", **headers}, "body": body})
        return Reply(200, {"responses": list(reversed(responses))})  # any order, as Graph may

    def _get(self, path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        if path != "/deviceManagement/managedDevices":
            return 404, {"error": {"code": "ResourceNotFound", "message": f"no resource {path}"}}, {}
        try:
            matches = self._select(query.get("$filter", ""))
        except ValueError as exc:
            return 400, {"error": {"code": "BadRequest", "message": str(exc)}}, {}
        select = [f for f in query.get("$select", "").split(",") if f]
        offset = int(query.get("$skiptoken") or 0)
        top = int(query.get("$top") or self.page_size)
        page = matches[offset:offset + top]
        body: dict[str, Any] = {
            "@odata.context": f"{self.url}/v1.0/$metadata#deviceManagement/managedDevices",
            "value": [{k: d.get(k) for k in select} if select else d for d in page]}
        if offset + top < len(matches):
            rest = {k: v for k, v in query.items() if k != "$skiptoken"}
            params = "&".join(f"{k}={v}" for k, v in rest.items())
            body["@odata.nextLink"] = (f"{self.url}/v1.0/deviceManagement/managedDevices?{params}"
                                       f"{'&' if params else ''}$skiptoken={offset + top}")
        return 200, body, {}

    def _select(self, expression: str) -> list[dict[str, Any]]:
        """The devices matching a ``$filter``, in their order (``eq`` through an index: benchmarks send thousands)."""
        if not expression.strip():
            return list(self.devices)
        hits: set[int] = set()
        for clause in re.split(r"\s+or\s+", expression):
            eq, starts = _EQ.match(clause), _STARTSWITH.match(clause)
            if eq:
                hits.update(self._index(eq.group(1)).get(eq.group(2).replace("''", "'").lower(), ()))
            elif starts:
                prefix = starts.group(2).replace("''", "'").lower()
                hits.update(n for n, d in enumerate(self.devices)
                            if str(d.get(starts.group(1)) or "").lower().startswith(prefix))
            else:
                raise ValueError(f"Invalid filter clause: {clause.strip()[:80]}")
        return [self.devices[n] for n in sorted(hits)]

    def _index(self, field: str) -> dict[str, list[int]]:
        """Positions of the devices by a field's value; rebuilt when devices are added."""
        with self._inner_lock:
            count, index = self._indexes.get(field, (-1, {}))
            if count != len(self.devices):
                index = {}
                for n, device in enumerate(self.devices):
                    index.setdefault(str(device.get(field) or "").lower(), []).append(n)
                self._indexes[field] = (len(self.devices), index)
            return index


def _error(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"error": {"code": code, "message": message,
                                    "innerError": {"date": "2026-12-03T12:00:00", "request-id": "fake"}}})
