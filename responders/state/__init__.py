"""Where the responders remember what they sent: dedup, the outbox, and incident ids.

One ``Record`` per responder and dedup key ``(hunt_id, device_id, remote_url)``:
when it was first notified, the last activity delivered, the send in flight (the
outbox: written *before* an attempt, cleared only after it succeeded, so a
failed or interrupted send is retried by the next run from its snapshot), and
the id/URL of what the target made of it (Sentinel incident, ServiceNow sys_id).

Two stores speak the same small protocol: SQLite on a laptop (the default) and
Azure Table Storage in Azure, where the Function app has no durable disk.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from hunting.models import iso_z
from hunting.timeparse import parse_moment

if TYPE_CHECKING:
    from hunting.settings import Settings

DedupKey = tuple[str, str, str]

#: HUNT_STATE_STORE value -> "module:Class"; each class has ``from_settings(settings)``.
STATE_STORES: dict[str, str] = {
    "sqlite": "responders.state.sqlite:SqliteStateStore",
    "azuretables": "responders.state.azure_tables:TableStateStore",
}


@dataclass(frozen=True)
class Record:
    """What one responder knows about one dedup key."""

    responder: str
    hunt_id: str
    device_id: str
    remote_url: str
    first_notified: datetime | None = None
    delivered_last_seen: datetime | None = None  # the newest activity the target has received
    pending_last_seen: datetime | None = None  # the activity of the send in flight, if any
    pending_finding: str = ""  # JSON snapshot of that send's finding; "" when nothing is pending
    attempts: int = 0  # failed attempts of the pending send
    last_error: str = ""
    target_id: str = ""  # what the target calls it: incident id, sys_id
    target_url: str = ""  # where a person opens it
    target_label: str = ""  # how a person names it: "Sentinel incident 3177", "INC0010001"
    updated: datetime | None = None

    @property
    def key(self) -> DedupKey:
        return (self.hunt_id, self.device_id, self.remote_url)

    @property
    def pending(self) -> bool:
        return bool(self.pending_finding)

    @property
    def row_key(self) -> str:
        return record_id(self.key)

    def to_row(self) -> dict[str, Any]:
        """Flat strings and ints, the shape both stores persist."""
        row: dict[str, Any] = {}
        for name, value in asdict(self).items():
            row[name] = iso_z(value) if isinstance(value, datetime) else ("" if value is None else value)
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Record":
        values: dict[str, Any] = {}
        for spec in fields(cls):
            raw = row.get(spec.name)
            if spec.name in _TIMES:
                values[spec.name] = parse_moment(raw) if raw else None
            elif spec.name == "attempts":
                values[spec.name] = int(raw or 0)
            else:
                values[spec.name] = "" if raw is None else str(raw)
        return cls(**values)


_TIMES = {"first_notified", "delivered_last_seen", "pending_last_seen", "updated"}


def record_id(key: DedupKey) -> str:
    """A fixed-length id for a dedup key, safe as an Azure Table RowKey (URLs hold '/', '#', '?')."""
    return hashlib.sha256(json.dumps(list(key)).encode()).hexdigest()


class StateStore(Protocol):
    """Raises ``SourceError`` when the store cannot be read or written."""

    def load(self, responder: str) -> dict[DedupKey, Record]:
        """Every record of one responder, by dedup key."""
        ...

    def save(self, record: Record) -> None:
        """Insert or replace one record."""
        ...


def open_state_store(settings: "Settings") -> StateStore:
    """The store ``HUNT_STATE_STORE`` names, built from its settings.

    Raises:
        SettingsError: an unknown store or its settings are missing.
    """
    from hunting.registry import load_plugin

    cls = load_plugin(STATE_STORES, settings.get("HUNT_STATE_STORE"), setting="HUNT_STATE_STORE")
    return cls.from_settings(settings)
