"""The Log Analytics source against the fake service, through the real LogsQueryClient over TLS."""

from __future__ import annotations

import logging
import socket
import time
from datetime import datetime, timedelta, timezone

import pytest

from hunting.errors import SettingsError, SourceError
from hunting.hits import find_hits
from hunting.hunts import load_hunts
from hunting.settings import Settings
from hunting.sources.local import LocalQuerySource
from hunting.sources.loganalytics import LogAnalyticsQuerySource
from tests.fakes.credential import FailingCredential, StaticTokenCredential

from .conftest import NOW, SAMPLE, la_env, la_source

SEED = load_hunts()[0]


def by_key(hit):
    return hit.key


def run_seed(source):
    return source.query(SEED.query, tables=SEED.tables, now=NOW, timespan=SEED.lookback)


def test_query_sends_the_service_request_and_reads_its_typed_answer(fake, credential):
    result = run_seed(la_source(fake, credential))

    assert result.columns == ("DeviceId", "DeviceName", "RemoteUrl", "FirstSeen", "LastSeen", "Report", "Count")
    first = result.records()[0]
    assert first["FirstSeen"].tzinfo is not None and first["FirstSeen"].utcoffset() == timedelta(0)
    assert isinstance(first["Report"], str)  # dynamic arrives as JSON text, as from the service
    assert result.partial is None
    (request,) = fake.requests
    assert request.path == f"/v1/workspaces/{fake.workspace_id}/query"
    assert request.headers["authorization"] == "Bearer test-token"
    assert request.headers["prefer"] == "wait=180"
    assert request.body["query"] == SEED.query
    assert request.body["timespan"] == "2026-11-28T12:00:00.000Z/2026-12-03T12:00:00.000Z"  # lookback 5d to now
    assert credential.scopes == [(f"{fake.endpoint}/.default",)]


def test_the_drilldown_finds_the_same_events_when_the_service_clock_moves_on(fake, credential):
    ticks = iter(range(1000))
    fake.set_now(lambda: NOW + timedelta(seconds=5 * next(ticks)))  # every query sees a later now()

    cloud = sorted(find_hits(SEED, la_source(fake, credential), NOW), key=by_key)
    local = sorted(find_hits(SEED, LocalQuerySource(SAMPLE / "tables"), NOW), key=by_key)  # summarize has no order

    assert cloud == local and sum(len(h.events) for h in cloud) == sum(h.count for h in cloud)
    drilldown = fake.queries[1]
    assert "| where Timestamp between (datetime(2026-11-" in drilldown


def test_a_throttled_query_waits_as_long_as_retry_after_asks_then_succeeds(fake, credential):
    fake.add_fault(status=429, retry_after="1")
    started = time.perf_counter()

    result = run_seed(la_source(fake, credential))

    assert result.rows and len(fake.requests) == 2
    assert time.perf_counter() - started >= 1.0


def test_server_errors_are_retried_until_the_service_answers(fake, credential):
    fake.add_fault(status=500, retry_after="0")
    fake.add_fault(status=503, retry_after="0")

    assert run_seed(la_source(fake, credential)).rows
    assert len(fake.requests) == 3


def test_a_429_storm_ends_after_the_attempt_budget_with_a_clear_error(fake, credential):
    fake.add_fault(status=429, retry_after="0", times=None)

    with pytest.raises(SourceError, match=r"loganalytics: gave up after retries: HTTP 429"):
        run_seed(la_source(fake, credential, HUNT_HTTP_RETRY_ATTEMPTS="3"))
    assert len(fake.requests) == 3  # azure-core's own retries are off: no 3 x 10


def test_a_429_storm_ends_within_the_time_budget(fake, credential):
    fake.add_fault(status=429, retry_after="0.4", times=None)
    started = time.perf_counter()

    with pytest.raises(SourceError, match="gave up"):
        run_seed(la_source(fake, credential, HUNT_HTTP_RETRY_ATTEMPTS="50", HUNT_HTTP_RETRY_SECONDS="1"))
    assert time.perf_counter() - started < 3
    assert 2 <= len(fake.requests) <= 5


def test_a_partial_answer_keeps_its_rows_says_why_and_warns(fake, credential, caplog):
    fake.add_fault(status=200, partial="Query result set has exceeded the internal data size limit", partial_rows=2)

    with caplog.at_level(logging.WARNING, logger="hunting.sources.loganalytics"):
        result = run_seed(la_source(fake, credential))

    assert len(result.rows) == 2
    assert result.partial == "partial results from Log Analytics: Query result set has exceeded the internal data size limit"
    assert result.partial in caplog.text


def test_a_query_the_service_rejects_fails_at_once_with_its_message(fake, credential):
    source = la_source(fake, credential)

    with pytest.raises(SourceError) as caught:
        source.query("DeviceNetworkEvents | evaluate bag_unpack(AdditionalFields)", tables=(), now=NOW, timespan=None)

    assert str(caught.value).startswith("loganalytics: HTTP 400 BadArgumentError: unsupported KQL construct")
    assert len(fake.requests) == 1  # a bad query is not worth another try
    assert fake.requests[0].body["timespan"] is None


def test_an_unknown_workspace_is_named_by_the_service_error(fake, credential):
    source = la_source(fake, credential, HUNT_LOG_ANALYTICS_WORKSPACE_ID="00000000-0000-0000-0000-000000000000")

    with pytest.raises(SourceError, match="HTTP 404 WorkspaceNotFoundError: The workspace could not be found"):
        run_seed(source)


def test_a_rejected_token_is_an_authentication_error_that_does_not_echo_the_token(fake):
    with pytest.raises(SourceError) as caught:
        run_seed(la_source(fake, StaticTokenCredential(token="stolen-looking-token")))

    assert "authentication failed: HTTP 401 InvalidTokenError" in str(caught.value)
    assert "stolen-looking-token" not in str(caught.value)
    assert len(fake.requests) == 1


def test_an_identity_without_a_token_is_an_authentication_error(fake):
    with pytest.raises(SourceError, match="authentication failed: no token for Log Analytics"):
        run_seed(la_source(fake, FailingCredential()))
    assert fake.requests == []


def test_an_unreachable_endpoint_gives_up_after_the_retry_budget(fake, credential):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"https://127.0.0.1:{sock.getsockname()[1]}"
    source = la_source(fake, credential, HUNT_LOG_ANALYTICS_ENDPOINT=closed, HUNT_HTTP_RETRY_ATTEMPTS="2")

    with pytest.raises(SourceError, match=r"gave up after retries: no answer from Log Analytics \(ServiceRequestError\)"):
        run_seed(source)


def test_a_slow_answer_within_the_timeout_is_awaited(fake, credential):
    fake.set_delay(0.3)

    assert run_seed(la_source(fake, credential, HUNT_LOG_ANALYTICS_SERVER_TIMEOUT="1", HUNT_HTTP_TIMEOUT="1")).rows


def test_an_answer_slower_than_the_timeout_is_abandoned(fake, credential):
    fake.set_delay(2.0)
    started = time.perf_counter()
    source = la_source(fake, credential, HUNT_LOG_ANALYTICS_SERVER_TIMEOUT="1", HUNT_HTTP_TIMEOUT="0.2",
                       HUNT_HTTP_RETRY_ATTEMPTS="1")

    with pytest.raises(SourceError, match=r"no answer from Log Analytics \(ServiceResponse"):
        run_seed(source)
    assert time.perf_counter() - started < 1.9  # read timeout = server timeout + HTTP timeout


@pytest.mark.parametrize(("overrides", "message"), [
    ({"HUNT_LOG_ANALYTICS_WORKSPACE_ID": ""}, "missing setting HUNT_LOG_ANALYTICS_WORKSPACE_ID"),
    ({"HUNT_LOG_ANALYTICS_ENDPOINT": "http://api.loganalytics.io"}, "HUNT_LOG_ANALYTICS_ENDPOINT must be an https"),
    ({"HUNT_LOG_ANALYTICS_SERVER_TIMEOUT": "900"}, "HUNT_LOG_ANALYTICS_SERVER_TIMEOUT must be 1..600"),
])
def test_bad_settings_name_the_setting(fake, credential, overrides, message):
    settings = Settings.from_env({k: v for k, v in la_env(fake, **overrides).items() if v})

    with pytest.raises(SettingsError, match=message):
        LogAnalyticsQuerySource.from_settings(settings, credential=credential)


def test_the_fake_clock_drives_now_in_the_query(fake, credential):
    fake.set_now(datetime(2030, 1, 1, tzinfo=timezone.utc))  # five days before then, the sample has nothing

    assert run_seed(la_source(fake, credential)).rows == ()
