"""Fixtures for responder tests: fakes of the targets and a fresh state store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import pytest

from hunting.http import RetryPolicy
from responders.state.sqlite import SqliteStateStore
from tests.fakes.teams import FakeTeamsWebhook

if TYPE_CHECKING:
    from responders.state.azure_tables import TableStateStore
    from tests.fakes.sentinel import FakeSentinel
    from tests.fakes.servicenow_incidents import FakeServiceNowIncidents

#: Fast policy for tests: one retry, no backoff to speak of, short timeout.
FAST = RetryPolicy(attempts=2, max_seconds=5, backoff=0.01, max_backoff=0.02, timeout=0.3)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStateStore]:
    state = SqliteStateStore(tmp_path / "state.sqlite")
    yield state
    state.close()


@pytest.fixture
def teams() -> Iterator[FakeTeamsWebhook]:
    with FakeTeamsWebhook() as fake:
        fake.stall_seconds = 0.5
        yield fake  # type: ignore[misc]


@pytest.fixture
def table_store() -> Iterator["TableStateStore"]:
    """A state store on a fresh table in Azurite."""
    import uuid

    from hunting.settings import Settings
    from responders.state.azure_tables import TableStateStore
    from tests.fakes.azurite import azurite_connection_string

    settings = Settings({"HUNT_STATE_CONNECTION_STRING": azurite_connection_string(),
                         "HUNT_STATE_TABLE": "state" + uuid.uuid4().hex[:12], "HUNT_HTTP_RETRY_ATTEMPTS": "2",
                         "HUNT_HTTP_TIMEOUT": "5"})
    state = TableStateStore.from_settings(settings)
    yield state
    state.close()


@pytest.fixture
def sentinel() -> Iterator["FakeSentinel"]:
    from tests.fakes.sentinel import FakeSentinel

    with FakeSentinel() as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture
def servicenow() -> Iterator["FakeServiceNowIncidents"]:
    from tests.fakes.servicenow_incidents import FakeServiceNowIncidents

    with FakeServiceNowIncidents() as fake:
        yield fake  # type: ignore[misc]
