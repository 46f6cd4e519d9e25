"""ServiceNow Table API client: list (paged), get, create, update — shared by enrichment and responders.

One pooled session per client, every request through ``hunting.http.request``
(retries on 429/5xx honouring ``Retry-After``, bounded). Auth is HTTP Basic or
OAuth client credentials (``/oauth_token.do``); the token is fetched once and
refreshed when it expires or a request comes back 401. The instance URL,
usernames and tokens never appear in errors: only the table and the status.

Encoded queries are built by callers; ``encoded_in`` and ``utc_query_time``
help them stay inside ServiceNow's rules (comma lists, UTC date strings).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import requests

from .errors import SettingsError, SourceError
from .http import RetryPolicy, build_session, request, require_https, retry_policy

if TYPE_CHECKING:
    from .settings import Settings

#: ServiceNow's stored date-time format; a value in it is UTC.
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
_TOKEN_MARGIN = 60.0  # refresh a token this many seconds before it expires


_CLIENT_SETTINGS = ("SERVICENOW_INSTANCE_URL", "SERVICENOW_USERNAME", "SERVICENOW_PASSWORD", "SERVICENOW_CLIENT_ID",
                    "SERVICENOW_CLIENT_SECRET", "SERVICENOW_PAGE_SIZE", "HUNT_HTTP_RETRY_ATTEMPTS",
                    "HUNT_HTTP_RETRY_SECONDS", "HUNT_HTTP_TIMEOUT")
_SHARED: dict[tuple[str, ...], "ServiceNowClient"] = {}
_SHARED_LOCK = threading.Lock()


class ServiceNowError(SourceError):
    """ServiceNow answered, but not with what we asked for; ``status`` is its HTTP status (0: bad body)."""

    def __init__(self, message: str, *, status: int = 0):
        super().__init__("servicenow", message)
        self.status = status


class ServiceNowClient:
    """The Table API of one instance (``https://<instance>.service-now.com``)."""

    def __init__(
        self,
        instance_url: str,
        *,
        username: str = "",
        password: str = "",
        client_id: str = "",
        client_secret: str = "",
        policy: RetryPolicy = RetryPolicy(),
        page_size: int = 1000,
        pool_size: int = 10,
    ):
        parts = require_https(instance_url.rstrip("/"), "SERVICENOW_INSTANCE_URL")
        if not (username and password) and not (client_id and client_secret):
            raise SettingsError("ServiceNow needs SERVICENOW_USERNAME and SERVICENOW_PASSWORD, "
                                "or SERVICENOW_CLIENT_ID and SERVICENOW_CLIENT_SECRET")
        self.base_url = f"{parts.scheme}://{parts.netloc}{parts.path}"
        self.page_size = max(1, page_size)
        self._policy = policy
        self._session = build_session(pool_size)
        self._session.headers.update({"Accept": "application/json"})
        self._basic = (username, password) if username and password else None
        self._client = (client_id, client_secret) if not self._basic else None
        self._token: tuple[str, float] | None = None  # (access token, monotonic expiry)
        self._token_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: "Settings") -> "ServiceNowClient":
        """A client configured by the SERVICENOW_* settings.

        Raises:
            SettingsError: the instance URL or the credentials are missing.
        """
        return cls(
            settings.require("SERVICENOW_INSTANCE_URL"),
            username=settings.get("SERVICENOW_USERNAME"),
            password=settings.get("SERVICENOW_PASSWORD"),
            client_id=settings.get("SERVICENOW_CLIENT_ID"),
            client_secret=settings.get("SERVICENOW_CLIENT_SECRET"),
            policy=retry_policy(settings),
            page_size=int(settings.get_float("SERVICENOW_PAGE_SIZE")),
        )

    @classmethod
    def shared(cls, settings: "Settings") -> "ServiceNowClient":
        """One client (one pooled session, one token) per configuration, however many plugins ask.

        Raises:
            SettingsError: the instance URL or the credentials are missing.
        """
        key = tuple(settings.get(name) for name in _CLIENT_SETTINGS)
        with _SHARED_LOCK:
            if key not in _SHARED:
                _SHARED[key] = cls.from_settings(settings)
            return _SHARED[key]

    # -- the Table API -------------------------------------------------------------------------------

    def list_records(self, table: str, query: str, fields: Sequence[str] = (), *,
                     display_value: str = "false") -> list[dict[str, Any]]:
        """Every record of ``table`` matching the encoded ``query``, all pages; ``[]`` when none match.

        Pages with ``sysparm_limit``/``sysparm_offset`` until the ``Link`` header has no
        ``rel="next"`` (or, without one, ``X-Total-Count`` is reached or a page comes back short).

        Raises:
            ServiceNowError: an error status or a malformed answer.
            SourceError: retries ran out.
        """
        records: list[dict[str, Any]] = []
        offset = 0
        while True:
            params = {"sysparm_query": query, "sysparm_limit": str(self.page_size), "sysparm_offset": str(offset),
                      "sysparm_display_value": display_value, "sysparm_exclude_reference_link": "true"}
            if fields:
                params["sysparm_fields"] = ",".join(fields)
            response = self._send("GET", f"/api/now/table/{table}", table, params=params)
            page = _result(response, table)
            if not isinstance(page, list) or not all(isinstance(r, dict) for r in page):
                raise ServiceNowError(f"malformed answer from table {table}: 'result' is not a list of records")
            records.extend(page)
            offset += len(page)
            if not page or not _has_next(response, offset, len(page), self.page_size):
                return records

    def get_record(self, table: str, sys_id: str, fields: Sequence[str] = ()) -> dict[str, Any]:
        """One record by sys_id.

        Raises:
            ServiceNowError: not found (``status == 404``), another error status or a malformed answer.
        """
        params = {"sysparm_exclude_reference_link": "true"}
        if fields:
            params["sysparm_fields"] = ",".join(fields)
        return _record(self._send("GET", f"/api/now/table/{table}/{sys_id}", table, params=params), table)

    def create_record(self, table: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Insert a record; the answer holds at least ``sys_id`` (and ``number`` for tasks).

        Raises:
            ServiceNowError: an error status (400 bad body, 403 ACL, ...) or a malformed answer.
        """
        return _record(self._send("POST", f"/api/now/table/{table}", table, json=dict(body)), table)

    def update_record(self, table: str, sys_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Change the given fields of one record (PATCH); the answer is the updated record.

        Raises:
            ServiceNowError: not found (404), another error status or a malformed answer.
        """
        return _record(self._send("PATCH", f"/api/now/table/{table}/{sys_id}", table, json=dict(body)), table)

    # -- plumbing ------------------------------------------------------------------------------------

    def _send(self, method: str, path: str, table: str, **kwargs: Any) -> requests.Response:
        what = f"servicenow {table}"
        response = request(self._session, method, self.base_url + path, policy=self._policy, what=what,
                           auth=self._auth(), **kwargs)
        if response.status_code == 401 and self._client:
            self._token = None  # expired or revoked early: one fresh token, one more try
            response = request(self._session, method, self.base_url + path, policy=self._policy, what=what,
                               auth=self._auth(), **kwargs)
        if response.status_code >= 400:
            raise ServiceNowError(f"HTTP {response.status_code} from table {table}{_error_message(response)}",
                                  status=response.status_code)
        return response

    def _auth(self) -> Any:
        if self._basic:
            return self._basic
        return _Bearer(self._access_token())

    def _access_token(self) -> str:
        with self._token_lock:
            if self._token and self._token[1] > time.monotonic():
                return self._token[0]
            assert self._client is not None
            response = request(self._session, "POST", self.base_url + "/oauth_token.do", policy=self._policy,
                               what="servicenow oauth",
                               data={"grant_type": "client_credentials", "client_id": self._client[0],
                                     "client_secret": self._client[1]})
            if response.status_code != 200:
                raise ServiceNowError(f"HTTP {response.status_code} from the OAuth token endpoint "
                                      "(check SERVICENOW_CLIENT_ID/SECRET)", status=response.status_code)
            body = _json(response, "the OAuth token endpoint")
            token = body.get("access_token") if isinstance(body, dict) else None
            if not isinstance(token, str) or not token:
                raise ServiceNowError("malformed answer from the OAuth token endpoint: no access_token")
            try:
                lifetime = float(body.get("expires_in", 1800))
            except (TypeError, ValueError):
                lifetime = 1800.0
            self._token = (token, time.monotonic() + max(0.0, lifetime - _TOKEN_MARGIN))
            return token


class _Bearer(requests.auth.AuthBase):
    def __init__(self, token: str):
        self._token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self._token}"
        return r


def encoded_in(field: str, values: Iterable[str]) -> str:
    """``fieldINa,b,c``; values holding ``,`` or ``^`` cannot be expressed in an IN list and are left out."""
    kept = sorted({v for v in values if v and "," not in v and "^" not in v})
    return f"{field}IN{','.join(kept)}"


def utc_query_time(moment: datetime) -> str:
    """A moment as ServiceNow's UTC date-time string, the form an encoded query compares as UTC."""
    utc = moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return utc.strftime(DATE_FORMAT)


def parse_servicenow_time(value: str) -> datetime | None:
    """A stored date-time (``YYYY-MM-DD HH:MM:SS``, UTC) as aware UTC; ISO 8601 with an offset also accepted.

    Raises:
        ValueError: neither form.
    """
    from .timeparse import parse_moment

    text = (value or "").strip()
    if not text:
        return None
    try:
        return datetime.strptime(text, DATE_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        return parse_moment(text)


def _has_next(response: requests.Response, fetched: int, page_len: int, limit: int) -> bool:
    if "Link" in response.headers:
        return "next" in response.links
    total = response.headers.get("X-Total-Count", "")
    if total.isdigit():
        return fetched < int(total)
    return page_len >= limit


def _json(response: requests.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:  # requests' JSONDecodeError
        raise ServiceNowError(f"malformed JSON from {what} ({type(exc).__name__})", status=response.status_code) \
            from None


def _result(response: requests.Response, table: str) -> Any:
    body = _json(response, f"table {table}")
    if not isinstance(body, dict) or "result" not in body:
        raise ServiceNowError(f"malformed answer from table {table}: no 'result'", status=response.status_code)
    return body["result"]


def _record(response: requests.Response, table: str) -> dict[str, Any]:
    record = _result(response, table)
    if not isinstance(record, dict):
        raise ServiceNowError(f"malformed answer from table {table}: 'result' is not a record",
                              status=response.status_code)
    return record


def _error_message(response: requests.Response) -> str:
    """ServiceNow's own one-line reason (``error.message``), bounded; empty if it gave none."""
    try:
        error = response.json().get("error") or {}
        message = str(error.get("message") or "") if isinstance(error, dict) else ""
    except (ValueError, AttributeError):
        return ""
    message = " ".join(message.split())[:200]
    return f": {message}" if message else ""
