"""Microsoft Graph client: many GETs through JSON ``$batch`` (20 per batch), throttling and paging handled.

Graph answers a batch with HTTP 200 even when requests inside it fail; each
inner response has its own status. Inner 429/5xx are retried after the inner
``Retry-After`` (the unit retried is "this batch's unfinished requests", under
the shared ``hunting.http`` policy), other inner errors fail the call, and an
inner ``@odata.nextLink`` becomes one more request in a later batch. Batches
go out a few at a time (bounded concurrency); the token comes from the shared
Azure credential (``https://graph.microsoft.com/.default``) or an injected one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence
from urllib.parse import urlsplit

import requests

from hunting.errors import SourceError
from hunting.http import (RETRY_STATUSES, RetryableError, RetryPolicy, bounded_map, build_session, call_with_retry,
                          request, require_https, retry_policy)

if TYPE_CHECKING:
    from hunting.settings import Settings

SCOPE = "https://graph.microsoft.com/.default"
BATCH_SIZE = 20  # Graph's limit per $batch


class GraphClient:
    """``get_all(urls)``: every item of every (paged) collection GET, in as few round trips as Graph allows."""

    def __init__(self, endpoint: str, credential: Any, *, policy: RetryPolicy = RetryPolicy(), concurrency: int = 4,
                 source: str = "graph"):
        parts = require_https(endpoint.rstrip("/"), "HUNT_GRAPH_ENDPOINT")
        self.endpoint = f"{parts.scheme}://{parts.netloc}{parts.path}"
        self._version_path = parts.path  # "/v1.0": nextLinks are made relative to it
        self._credential = credential
        self._policy = policy
        self._concurrency = max(1, concurrency)
        self._source = source
        self._session = build_session(max(10, self._concurrency))

    @classmethod
    def from_settings(cls, settings: "Settings", *, credential: Any = None, source: str = "graph") -> "GraphClient":
        """A client for HUNT_GRAPH_ENDPOINT; ``credential`` defaults to the shared Azure credential."""
        if credential is None:
            from hunting.credentials import default_credential

            credential = default_credential()
        return cls(settings.get("HUNT_GRAPH_ENDPOINT"), credential, policy=retry_policy(settings),
                   concurrency=int(settings.get_float("HUNT_GRAPH_CONCURRENCY")), source=source)

    def get_all(self, urls: Sequence[str]) -> list[list[dict[str, Any]]]:
        """For each relative URL (``/deviceManagement/managedDevices?$filter=...``), all its ``value`` items.

        Raises:
            SourceError: an inner request failed (other than throttling), retries ran out,
                the credential failed, or Graph answered something malformed.
        """
        results: list[list[dict[str, Any]]] = [[] for _ in urls]
        todo: list[tuple[int, str]] = list(enumerate(urls))
        while todo:  # each round sends every pending request; nextLinks make the next round
            batches = [todo[i:i + BATCH_SIZE] for i in range(0, len(todo), BATCH_SIZE)]
            todo = []
            for answers in bounded_map(self._concurrency, self._run_batch, batches):
                for index, body in answers:
                    results[index].extend(_items(body, self._source))
                    if body.get("@odata.nextLink"):
                        todo.append((index, self._relative(str(body["@odata.nextLink"]))))
        return results

    def _run_batch(self, batch: list[tuple[int, str]]) -> list[tuple[int, dict[str, Any]]]:
        """One batch; the throttled part of it is sent again until done or the policy gives up."""
        pending = {str(n): item for n, item in enumerate(batch, start=1)}
        done: list[tuple[int, dict[str, Any]]] = []

        def attempt() -> None:
            body = {"requests": [{"id": rid, "method": "GET", "url": url} for rid, (_, url) in pending.items()]}
            response = request(self._session, "POST", f"{self.endpoint}/$batch", policy=self._policy,
                               what=f"{self._source} graph batch", json=body,
                               headers={"Authorization": f"Bearer {self._token()}"})
            throttled: list[float] = []
            for inner in _responses(response, self._source):
                rid = str(inner.get("id"))
                if rid not in pending:
                    continue
                status = inner.get("status")
                if status == 200 and isinstance(inner.get("body"), dict):
                    done.append((pending.pop(rid)[0], inner["body"]))
                elif status in RETRY_STATUSES:
                    headers = {str(k).lower(): v for k, v in (inner.get("headers") or {}).items()}
                    throttled.append(_seconds(headers.get("retry-after")))
                else:
                    raise SourceError(self._source, f"Graph answered HTTP {status} inside a batch"
                                                    f"{_error_code(inner.get('body'))}")
            if pending:
                missing = len(pending) - len(throttled)
                if missing > 0 and not throttled:
                    raise SourceError(self._source, f"Graph batch answer lacks {missing} response(s)")
                raise RetryableError(f"{len(pending)} of {len(body['requests'])} batched requests throttled",
                                     status=429, retry_after=max(throttled, default=None))

        call_with_retry(self._policy, f"{self._source} graph batch", attempt)
        return done

    def _token(self) -> str:
        try:
            return self._credential.get_token(SCOPE).token
        except Exception as exc:  # azure-identity raises ClientAuthenticationError and friends
            raise SourceError(self._source, f"no Graph token: {type(exc).__name__}") from None

    def _relative(self, next_link: str) -> str:
        """A nextLink as a batch URL: relative to the version (``/deviceManagement/...?$skiptoken=...``)."""
        parts = urlsplit(next_link)
        path = parts.path
        if self._version_path and path.startswith(self._version_path + "/"):
            path = path[len(self._version_path):]
        elif path.startswith(("/v1.0/", "/beta/")):
            path = path[path.index("/", 1):]
        return f"{path}?{parts.query}" if parts.query else path


def _responses(response: requests.Response, source: str) -> list[dict[str, Any]]:
    if response.status_code != 200:
        raise SourceError(source, f"Graph $batch answered HTTP {response.status_code}"
                                  f"{_error_code(_json_or_none(response))}")
    body = _json_or_none(response)
    if body is None:
        raise SourceError(source, "malformed JSON from Graph $batch")
    responses = body.get("responses") if isinstance(body, dict) else None
    if not isinstance(responses, list) or not all(isinstance(r, dict) for r in responses):
        raise SourceError(source, "malformed answer from Graph $batch: no 'responses' list")
    return responses


def _items(body: dict[str, Any], source: str) -> list[dict[str, Any]]:
    value = body.get("value")
    if not isinstance(value, list):
        raise SourceError(source, "malformed answer from Graph: no 'value' list")
    return [item for item in value if isinstance(item, dict)]


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _error_code(body: Any) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return f" ({str(code)[:80]})" if code else ""


def _seconds(value: Any) -> float:
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return 1.0  # throttled without a hint: Graph asks clients to back off anyway
