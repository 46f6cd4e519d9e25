"""The state store as one SQLite file: the default for local runs and tests.

Each save is its own short transaction, so the outbox mark written before a
send is on disk before the send starts, and a crash loses nothing already saved.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from hunting.errors import SourceError

from . import DedupKey, Record

if TYPE_CHECKING:
    from hunting.settings import Settings

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    responder TEXT NOT NULL,
    record_id TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (responder, record_id)
)
"""


class SqliteStateStore:
    name = "sqlite"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise SourceError("state store", f"cannot open SQLite state file {self.path}: {exc}") from None

    @classmethod
    def from_settings(cls, settings: "Settings") -> "SqliteStateStore":
        return cls(settings.get("HUNT_STATE_PATH"))

    def load(self, responder: str) -> dict[DedupKey, Record]:
        try:
            with self._lock:
                rows = self._db.execute("SELECT data FROM records WHERE responder = ?", (responder,)).fetchall()
        except sqlite3.Error as exc:
            raise SourceError("state store", f"cannot read {self.path}: {exc}") from None
        records = (Record.from_row(json.loads(data)) for (data,) in rows)
        return {record.key: record for record in records}

    def save(self, record: Record) -> None:
        try:
            with self._lock:
                self._db.execute("INSERT OR REPLACE INTO records (responder, record_id, data) VALUES (?, ?, ?)",
                                 (record.responder, record.row_key, json.dumps(record.to_row())))
        except sqlite3.Error as exc:
            raise SourceError("state store", f"cannot write {self.path}: {exc}") from None

    def close(self) -> None:
        self._db.close()
