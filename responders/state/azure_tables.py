"""The state store in Azure Table Storage: what the Function app uses (it has no durable disk).

PartitionKey is the responder, RowKey the dedup key's hash, the other columns
the record. The Function's managed identity reaches the table through
``HUNT_STATE_TABLE_ENDPOINT`` (role *Storage Table Data Contributor*); a
connection string (Azurite in tests) is the alternative. The SDK retries
throttling and 5xx itself; what still fails becomes a ``SourceError`` that
names no account key or SAS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hunting.errors import SettingsError, SourceError
from hunting.http import redact

from . import DedupKey, Record

if TYPE_CHECKING:
    from hunting.settings import Settings


class TableStateStore:
    name = "azuretables"

    def __init__(self, table_client: Any):
        self._table = table_client
        self._created = False

    @classmethod
    def from_settings(cls, settings: "Settings", *, credential: Any = None) -> "TableStateStore":
        """Raises: SettingsError: neither a connection string nor an endpoint is set."""
        from azure.data.tables import TableClient

        table = settings.get("HUNT_STATE_TABLE")
        timeout = settings.get_float("HUNT_HTTP_TIMEOUT")
        options = {"retry_total": max(0, int(settings.get_float("HUNT_HTTP_RETRY_ATTEMPTS")) - 1),
                   "connection_timeout": timeout, "read_timeout": timeout}
        connection = settings.get("HUNT_STATE_CONNECTION_STRING")
        if connection:
            try:
                return cls(TableClient.from_connection_string(connection, table_name=table, **options))
            except ValueError:
                raise SettingsError("HUNT_STATE_CONNECTION_STRING is not a valid storage connection string") from None
        endpoint = settings.get("HUNT_STATE_TABLE_ENDPOINT")
        if not endpoint:
            raise SettingsError("HUNT_STATE_STORE=azuretables needs HUNT_STATE_TABLE_ENDPOINT "
                                "(or HUNT_STATE_CONNECTION_STRING)")
        if credential is None:
            from hunting.credentials import default_credential

            credential = default_credential()
        return cls(TableClient(endpoint=endpoint, table_name=table, credential=credential, **options))

    def load(self, responder: str) -> dict[DedupKey, Record]:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            entities = list(self._table.query_entities("PartitionKey eq @p", parameters={"p": responder}))
        except ResourceNotFoundError:
            return {}  # no table yet: nothing was ever sent
        except Exception as exc:  # azure-core raises many types; all mean the store is unreadable
            raise _store_error("read", exc) from None
        records = (Record.from_row(dict(entity)) for entity in entities)
        return {record.key: record for record in records}

    def save(self, record: Record) -> None:
        from azure.core.exceptions import ResourceNotFoundError
        from azure.data.tables import UpdateMode

        entity = {"PartitionKey": record.responder, "RowKey": record.row_key, **record.to_row()}
        try:
            if not self._created:
                self._ensure_table()
            self._table.upsert_entity(entity, mode=UpdateMode.REPLACE)
        except ResourceNotFoundError:  # the table was deleted under us: make it again, once
            self._created = False
            try:
                self._ensure_table()
                self._table.upsert_entity(entity, mode=UpdateMode.REPLACE)
            except Exception as exc:
                raise _store_error("write", exc) from None
        except SourceError:
            raise
        except Exception as exc:
            raise _store_error("write", exc) from None

    def _ensure_table(self) -> None:
        from azure.core.exceptions import ResourceExistsError

        try:
            self._table.create_table()
        except ResourceExistsError:
            pass
        self._created = True

    def close(self) -> None:
        self._table.close()


def _store_error(verb: str, exc: Exception) -> SourceError:
    status = getattr(exc, "status_code", None)
    where = redact(getattr(getattr(exc, "response", None), "url", "") or "") if status else ""
    detail = f"HTTP {status}" if status else type(exc).__name__
    return SourceError("state store", f"cannot {verb} the state table ({detail}{' at ' + where if where else ''})")
