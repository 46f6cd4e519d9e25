"""HTTP done once: pooled sessions, timeouts, and one tenacity retry policy for every client.

Clients never write their own retry loops. They call ``request`` (plain HTTP) or
wrap a unit of work in ``retrying(policy)`` and raise ``RetryableError`` for what
is worth another try (429, 5xx, a dropped connection), carrying the server's
``Retry-After`` when it gave one. Attempts and total time are both bounded, so a
throttling storm ends in a ``SourceError`` instead of a hung timer.

URLs are never put in errors or logs: a Teams Workflows URL carries its secret
signature in the query string.
"""

from __future__ import annotations

import logging
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Sequence, TypeVar
from urllib.parse import SplitResult, urlsplit

import requests
from requests.adapters import HTTPAdapter
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, stop_after_delay

from .errors import SettingsError, SourceError

if TYPE_CHECKING:
    from .settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")
U = TypeVar("U")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts, total seconds, backoff; tests shrink it through settings."""

    attempts: int = 5
    max_seconds: float = 60.0
    backoff: float = 0.5
    max_backoff: float = 20.0
    timeout: float = 30.0  # per request: (connect, read) both bounded by this


def retry_policy(settings: "Settings") -> RetryPolicy:
    """The policy the settings ask for (tests shrink it to keep fault tests fast)."""
    return RetryPolicy(
        attempts=max(1, int(settings.get_float("HUNT_HTTP_RETRY_ATTEMPTS"))),
        max_seconds=settings.get_float("HUNT_HTTP_RETRY_SECONDS"),
        timeout=settings.get_float("HUNT_HTTP_TIMEOUT"),
    )


class RetryableError(Exception):
    """A failure worth another attempt; ``retry_after`` is the server's wish, in seconds."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(timezone.utc)).total_seconds())


def _wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = getattr(exc, "retry_after", None)
        if hinted is not None:
            return min(hinted, policy.max_backoff)
        ceiling = min(policy.max_backoff, policy.backoff * 2 ** (state.attempt_number - 1))
        return random.uniform(ceiling / 2, ceiling)  # jitter keeps parallel clients apart

    return wait


def retrying(policy: RetryPolicy, *, what: str) -> Retrying:
    """A tenacity ``Retrying`` that retries ``RetryableError`` and connection failures."""

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        # requests' own messages hold the request URL, query string (a SAS signature) included
        shown = exc if isinstance(exc, RetryableError) else type(exc).__name__
        log.warning("%s: attempt %d failed (%s), retrying in %.1fs", what, state.attempt_number,
                    shown, state.next_action.sleep if state.next_action else 0)

    return Retrying(
        retry=retry_if_exception_type((RetryableError, requests.ConnectionError, requests.Timeout)),
        stop=stop_after_attempt(policy.attempts) | stop_after_delay(policy.max_seconds),
        wait=_wait(policy),
        before_sleep=before_sleep,
        reraise=True,
    )


def call_with_retry(policy: RetryPolicy, what: str, work: Callable[[], T]) -> T:
    """Run ``work`` under the policy; when retries run out, a ``SourceError`` naming ``what``.

    Raises:
        SourceError: the last attempt failed with a retryable error.
    """
    try:
        return retrying(policy, what=what)(work)
    except RetryableError as exc:
        raise SourceError(what, f"gave up after retries: {exc}") from None
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise SourceError(what, f"gave up after retries: {type(exc).__name__}") from None


def build_session(pool_size: int = 10) -> requests.Session:
    """A pooled session; one per service per run."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def require_https(url: str, setting: str) -> SplitResult:
    """``url`` parsed, when it is https (plain http only to this machine, where the test fakes live).

    Raises:
        SettingsError: naming the setting, never the URL (a webhook URL is a secret).
    """
    parts = urlsplit(url.strip())
    local = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")
    if not parts.netloc or (parts.scheme != "https" and not local):
        raise SettingsError(f"{setting} must be an https:// URL (http only for localhost)")
    return parts


def bounded_map(workers: int, work: Callable[[U], T], items: Sequence[U]) -> list[T]:
    """``work`` on every item, at most ``workers`` at a time, results in order; the first failure is raised."""
    if len(items) <= 1 or workers <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        return list(pool.map(work, items))


def redact(url: str) -> str:
    """Scheme, host and path only: never the query string, where SAS signatures live."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def request(session: requests.Session, method: str, url: str, *, policy: RetryPolicy, what: str,
            **kwargs: Any) -> requests.Response:
    """Send with retries on 408/429/5xx and connection errors; return the final response.

    A non-retryable status (400, 401, 404, ...) is returned for the caller to judge.

    Raises:
        SourceError: retries ran out.
    """

    def attempt() -> requests.Response:
        response = session.request(method, url, timeout=policy.timeout, **kwargs)
        if response.status_code in RETRY_STATUSES:
            raise RetryableError(f"HTTP {response.status_code} from {redact(url)}", status=response.status_code,
                                 retry_after=parse_retry_after(response.headers.get("Retry-After")))
        return response

    return call_with_retry(policy, what, attempt)
