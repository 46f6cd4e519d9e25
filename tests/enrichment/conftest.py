"""Fixtures of the enrichment tests: the fakes running, and settings pointing at them."""

from __future__ import annotations

from typing import Iterator

import pytest

from hunting.settings import Settings
from tests.fakes.graph import FakeGraph
from tests.fakes.servicenow import FakeServiceNow

#: Retries shrunk so fault tests stay fast (the fakes answer Retry-After: 0).
FAST_RETRIES = {"HUNT_HTTP_RETRY_ATTEMPTS": "3", "HUNT_HTTP_RETRY_SECONDS": "5", "HUNT_HTTP_TIMEOUT": "5"}


@pytest.fixture
def snow() -> Iterator[FakeServiceNow]:
    with FakeServiceNow(client_id="hunt-app", client_secret="app-s3cret") as fake:
        yield fake


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph() as fake:
        yield fake


def snow_settings(fake: FakeServiceNow, **extra: str) -> Settings:
    return Settings.from_env({**FAST_RETRIES, "SERVICENOW_INSTANCE_URL": fake.url,
                              "SERVICENOW_USERNAME": fake.username, "SERVICENOW_PASSWORD": fake.password, **extra})
