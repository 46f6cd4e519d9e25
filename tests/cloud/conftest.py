"""Fixtures for the cloud path: the fake Log Analytics service and settings that point at it."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest

from hunting.settings import Settings
from hunting.sources.loganalytics import LogAnalyticsQuerySource
from tests.fakes.credential import StaticTokenCredential
from tests.fakes.loganalytics import FakeLogAnalytics

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "workspace"
#: The sample workspace's as_of: the service clock and the run's now agree.
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)
#: Small enough that fault tests finish in about a second.
FAST_RETRIES = {"HUNT_HTTP_RETRY_ATTEMPTS": "3", "HUNT_HTTP_RETRY_SECONDS": "5", "HUNT_HTTP_TIMEOUT": "5"}


@pytest.fixture
def fake() -> Iterator[FakeLogAnalytics]:
    with FakeLogAnalytics(SAMPLE, now=NOW) as server:
        yield server


@pytest.fixture
def credential() -> StaticTokenCredential:
    return StaticTokenCredential()


def la_env(fake: FakeLogAnalytics, **overrides: str) -> dict[str, str]:
    """App settings that send the hunts to ``fake``."""
    return {"HUNT_QUERY_SOURCE": "loganalytics", "HUNT_LOG_ANALYTICS_WORKSPACE_ID": fake.workspace_id,
            "HUNT_LOG_ANALYTICS_ENDPOINT": fake.endpoint, **FAST_RETRIES, **overrides}


def la_source(fake: FakeLogAnalytics, credential: object, **overrides: str) -> LogAnalyticsQuerySource:
    """The real source and real LogsQueryClient, trusting the fake's CA."""
    settings = Settings.from_env(la_env(fake, **overrides))
    return LogAnalyticsQuerySource.from_settings(settings, credential=credential, connection_verify=fake.ca_pem)


@pytest.fixture
def in_azure(monkeypatch: pytest.MonkeyPatch, fake: FakeLogAnalytics, credential: StaticTokenCredential):
    """The process environment of the Function app, pointed at the fake: settings, CA trust, identity.

    The credential factory returns the static test credential (the SDK clients stay real);
    the fake's CA is trusted the way a private-link proxy's would be, through REQUESTS_CA_BUNDLE.
    """
    monkeypatch.delenv("APPLICATIONINSIGHTS_CONNECTION_STRING", raising=False)
    for name, value in la_env(fake).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", fake.ca_pem)
    monkeypatch.setattr("hunting.credentials.default_credential", lambda: credential)
    return monkeypatch
