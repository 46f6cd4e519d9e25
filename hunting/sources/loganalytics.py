"""The Log Analytics query source: a hunt's KQL sent to a Sentinel workspace with ``LogsQueryClient``.

The KQL is the same text the local source runs. What differs is the service:

* it evaluates ``now()`` itself, so every query also carries a ``timespan``
  (the hunt's lookback ending at the run's ``now``); the drill-down is already
  bounded by the hits' own first/last seen (``hunting.kql.drilldown_query``);
* it may answer with part of the rows (``LogsQueryPartialResult``): the rows
  are used, a warning is logged and ``QueryResult.partial`` carries the
  service's reason, which the pipeline puts on the affected findings;
* it throttles (429 + ``Retry-After``) and fails (5xx, dropped connections):
  azure-core's own retries are off (``retry_total=0``) and the project's one
  policy (``hunting.http``) retries, bounded in attempts and time.

Run-time failures become ``SourceError`` (that hunt fails, the others run);
messages carry the service's error code and text, never tokens or headers.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Mapping, Sequence
from urllib.parse import urlsplit

from .. import credentials
from ..errors import SettingsError, SourceError
from ..http import RETRY_STATUSES, RetryableError, RetryPolicy, call_with_retry, parse_retry_after, retry_policy
from ..timeparse import as_utc
from . import QueryResult

if TYPE_CHECKING:
    from ..assemble import Context
    from ..settings import Settings

log = logging.getLogger(__name__)

#: How much of a service message goes into an error or a reason.
MESSAGE_LIMIT = 300
MAX_SERVER_TIMEOUT = 600  # the service's ceiling for Prefer: wait


class LogAnalyticsQuerySource:
    """Runs KQL on one Log Analytics workspace through the real ``LogsQueryClient``."""

    name = "loganalytics"

    def __init__(self, client: Any, workspace_id: str, *, policy: RetryPolicy, server_timeout: int):
        self._client = client
        self._workspace_id = workspace_id
        self._policy = policy
        self._server_timeout = server_timeout

    @classmethod
    def from_context(cls, context: "Context") -> "LogAnalyticsQuerySource":
        return cls.from_settings(context.settings, credential=credentials.default_credential())

    @classmethod
    def from_settings(cls, settings: "Settings", *, credential: Any, **transport: Any) -> "LogAnalyticsQuerySource":
        """A source for the configured workspace; ``transport`` goes to azure-core (e.g. ``connection_verify``).

        Raises:
            SettingsError: the workspace id is missing, or the endpoint or timeout is malformed.
        """
        from azure.monitor.query import LogsQueryClient

        workspace_id = settings.require("HUNT_LOG_ANALYTICS_WORKSPACE_ID")
        endpoint = settings.get("HUNT_LOG_ANALYTICS_ENDPOINT").rstrip("/")
        parts = urlsplit(endpoint)
        if parts.scheme != "https" or not parts.netloc or parts.query:
            raise SettingsError(f"setting HUNT_LOG_ANALYTICS_ENDPOINT must be an https:// URL, got {endpoint!r}")
        server_timeout = int(settings.get_float("HUNT_LOG_ANALYTICS_SERVER_TIMEOUT"))
        if not 1 <= server_timeout <= MAX_SERVER_TIMEOUT:
            raise SettingsError(f"setting HUNT_LOG_ANALYTICS_SERVER_TIMEOUT must be 1..{MAX_SERVER_TIMEOUT} seconds")
        policy = retry_policy(settings)
        client = LogsQueryClient(
            credential,
            endpoint=endpoint,
            retry_total=0,  # hunting.http retries, once, for every client
            connection_timeout=policy.timeout,
            read_timeout=server_timeout + policy.timeout,  # the service answers 504 itself after server_timeout
            **transport,
        )
        return cls(client, workspace_id, policy=policy, server_timeout=server_timeout)

    def query(self, kql: str, *, tables: Sequence[str], now: datetime, timespan: timedelta | None) -> QueryResult:
        """The query's primary table; ``tables`` is not needed (the workspace has them).

        Raises:
            SourceError: authentication failed, the service refused the query, or retries ran out.
        """
        window = (as_utc(now) - timespan, as_utc(now)) if timespan else None
        response = call_with_retry(self._policy, self.name, lambda: self._send(kql, window))
        return self._result(response)

    def _send(self, kql: str, window: tuple[datetime, datetime] | None) -> Any:
        from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

        try:
            return self._client.query_workspace(self._workspace_id, kql, timespan=window,
                                                server_timeout=self._server_timeout)
        except HttpResponseError as exc:  # the SDK re-raises every error, a credential's too, as this type
            status = exc.status_code
            if exc.response is None:  # no token: the identity is missing or may not sign in
                raise SourceError(self.name, "authentication failed: no token for Log Analytics "
                                             "(check the managed identity, or az login on a laptop)") from None
            if status in RETRY_STATUSES:
                raise RetryableError(f"HTTP {status} from Log Analytics", status=status,
                                     retry_after=parse_retry_after(exc.response.headers.get("Retry-After"))) from None
            if status in (401, 403):
                raise SourceError(self.name, f"authentication failed: {_describe(exc)}") from None
            raise SourceError(self.name, _describe(exc)) from None
        except (ServiceRequestError, ServiceResponseError) as exc:
            raise RetryableError(f"no answer from Log Analytics ({type(exc).__name__})") from None

    def _result(self, response: Any) -> QueryResult:
        from azure.monitor.query import LogsQueryStatus

        partial = None
        tables = response.tables if response.status == LogsQueryStatus.SUCCESS else response.partial_data
        if response.status == LogsQueryStatus.PARTIAL:
            partial = f"partial results from Log Analytics: {_partial_reason(response.partial_error)}"
            log.warning("%s: %s", self.name, partial)
        if not tables:
            raise SourceError(self.name, partial or "the answer has no table")
        table = tables[0]
        rows = tuple(
            tuple(as_utc(v) if isinstance(v, datetime) else v for v in row) for row in table.rows
        )
        return QueryResult(columns=tuple(table.columns), rows=rows, partial=partial)


def _describe(exc: Any) -> str:
    """``HTTP 400 BadArgumentError: <the service's innermost message>``, bounded."""
    code, message = "", ""
    try:
        error = json.loads(exc.response.text())["error"]
        code = str(error.get("code", ""))
        while isinstance(error.get("innererror"), Mapping):
            error = error["innererror"]
        message = str(error.get("message", ""))
    except (AttributeError, KeyError, TypeError, ValueError):
        pass
    text = f"HTTP {exc.status_code}" + (f" {code}" if code else "") + (f": {message}" if message else "")
    return _bounded(text)


def _partial_reason(error: Any) -> str:
    """The useful text of a partial error: its details' innermost messages (the top one is generic)."""
    if error is None:
        return "the service did not say why"
    messages = []
    for detail in error.details or []:
        inner = detail if isinstance(detail, Mapping) else {}  # the SDK's mappings are not always dicts
        while isinstance(inner.get("innererror"), Mapping):
            inner = inner["innererror"]
        if inner.get("message"):
            messages.append(str(inner["message"]))
    return _bounded("; ".join(dict.fromkeys(messages)) or error.message or error.code or "unknown")


def _bounded(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"
