"""Both state stores keep records the same way: SQLite on a laptop, Azure Tables (Azurite) in Azure."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hunting.errors import SettingsError, SourceError
from hunting.settings import Settings
from responders.notify import snapshot
from responders.state import Record, open_state_store
from responders.state.azure_tables import TableStateStore
from responders.state.sqlite import SqliteStateStore

from .findings import T0, finding

URLISH = ("fd366644-9bb6-4c00-870c-526ba9186270", "dev/1#x?y", "https://evil.example/a?b=c#d\\e")


@pytest.fixture(params=["sqlite", "azuretables"])
def any_store(request):
    return request.getfixturevalue("store" if request.param == "sqlite" else "table_store")


def test_a_record_round_trips_every_field(any_store) -> None:
    record = Record("sentinel", *URLISH, first_notified=T0, delivered_last_seen=T0 + timedelta(hours=1),
                    pending_last_seen=T0 + timedelta(hours=2), pending_finding=snapshot(finding(last=T0)),
                    attempts=3, last_error="HTTP 500", target_id="6c1f", target_url="https://portal.azure.com/#x",
                    target_label="Sentinel incident 7", updated=T0)
    any_store.save(record)
    assert any_store.load("sentinel") == {URLISH: record}
    assert any_store.load("teams") == {}


def test_save_replaces_the_record_of_the_same_key(any_store) -> None:
    any_store.save(Record("teams", *URLISH, pending_finding="{}", attempts=1))
    any_store.save(Record("teams", *URLISH, delivered_last_seen=T0))
    [record] = any_store.load("teams").values()
    assert record.delivered_last_seen == T0 and not record.pending and record.attempts == 0


def test_sqlite_state_survives_reopening(tmp_path) -> None:
    path = tmp_path / "nested" / "state.sqlite"
    first = SqliteStateStore(path)
    first.save(Record("teams", *URLISH, delivered_last_seen=T0))
    first.close()
    assert SqliteStateStore(path).load("teams")[URLISH].delivered_last_seen == T0


def test_open_state_store_follows_the_setting(tmp_path) -> None:
    assert isinstance(open_state_store(Settings({"HUNT_STATE_PATH": str(tmp_path / "s.sqlite")})), SqliteStateStore)
    with pytest.raises(SettingsError, match="known: azuretables, sqlite"):
        open_state_store(Settings({"HUNT_STATE_STORE": "redis"}))
    with pytest.raises(SettingsError, match="HUNT_STATE_TABLE_ENDPOINT"):
        open_state_store(Settings({"HUNT_STATE_STORE": "azuretables"}))


def test_an_unreachable_table_service_is_a_source_error_without_the_key() -> None:
    key = "c2VjcmV0LWtleS1kby1ub3QtbG9n"
    settings = Settings({"HUNT_STATE_STORE": "azuretables", "HUNT_HTTP_RETRY_ATTEMPTS": "1", "HUNT_HTTP_TIMEOUT": "1",
                         "HUNT_STATE_CONNECTION_STRING": "DefaultEndpointsProtocol=http;AccountName=acct;"
                         f"AccountKey={key};TableEndpoint=http://127.0.0.1:9/acct;"})
    store = open_state_store(settings)
    assert isinstance(store, TableStateStore)
    with pytest.raises(SourceError) as caught:
        store.save(Record("teams", *URLISH))
    assert key not in str(caught.value) and "state store" in str(caught.value)
