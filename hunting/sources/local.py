"""The local query source: a hunt's KQL on DuckDB (duckdb-kql) over a workspace's tables."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from ..errors import InputError, SourceError
from ..timeparse import as_utc
from . import QueryResult
from .tables import load_table

if TYPE_CHECKING:
    from ..assemble import Context


class LocalQuerySource:
    """Runs KQL over ``WORKSPACE/tables``, loading each table the first time a query names it.

    ``now()`` and ``ago()`` are pinned to the ``now`` of each call, so a sample
    captured last month gives the same hits today.
    """

    name = "local"

    def __init__(self, tables_dir: Path):
        import duckdb_kql

        self._tables_dir = Path(tables_dir)
        self._con = duckdb_kql.connect()
        self._loaded: set[str] = set()

    @classmethod
    def from_context(cls, context: "Context") -> "LocalQuerySource":
        return cls(context.require_workspace("the local query source").tables_dir)

    def query(self, kql: str, *, tables: Sequence[str], now: datetime, timespan: timedelta | None = None) -> QueryResult:
        import duckdb
        import duckdb_kql

        for table in tables:
            if table not in self._loaded:
                load_table(self._con, table, self._tables_dir)
                self._loaded.add(table)
        try:
            relation = duckdb_kql.kql(self._con, kql, query_now=as_utc(now))
        except duckdb_kql.KqlError as exc:
            raise InputError(f"query does not translate: {exc}") from None
        except duckdb.CatalogException as exc:  # a table the query reads but the hunt does not declare
            raise InputError(f"query reads a table it does not declare in requiredDataConnectors "
                             f"({str(exc).splitlines()[0]})") from None
        except Exception as exc:  # duckdb's other errors: a column the table lacks, a bad cast
            raise SourceError(self.name, f"{type(exc).__name__}: {str(exc).splitlines()[0]}") from None
        columns = tuple(relation.columns)
        types = [str(t) for t in relation.types]
        rows = tuple(tuple(_value(v, t) for v, t in zip(row, types)) for row in relation.fetchall())
        return QueryResult(columns=columns, rows=rows)


def _value(value: Any, duck_type: str) -> Any:
    """A DuckDB value as the service would hand it over: aware UTC datetimes, parsed JSON."""
    if isinstance(value, datetime):
        return as_utc(value)
    if duck_type == "JSON" and isinstance(value, str):
        return json.loads(value)
    return value
