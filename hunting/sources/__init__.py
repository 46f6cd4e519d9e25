"""Query sources: where a hunt's KQL runs. One protocol, one registry.

``local`` runs the KQL on DuckDB over a workspace folder; ``loganalytics`` sends
it to a Log Analytics workspace. Entries are "module:Class" strings so a heavy
SDK is imported only when its source is chosen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, Sequence



@dataclass(frozen=True)
class QueryResult:
    """A query's primary table; ``partial`` says why rows may be missing, if they may."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    partial: str | None = None

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row)) for row in self.rows]


class QuerySource(Protocol):
    name: str

    def query(self, kql: str, *, tables: Sequence[str], now: datetime, timespan: timedelta | None) -> QueryResult:
        """Run ``kql`` as of ``now`` over the named tables; datetimes come back aware UTC.

        Raises:
            InputError: the data behind the source is malformed (local files).
            SourceError: the source failed to answer.
        """
        ...


QUERY_SOURCES: dict[str, str] = {
    "local": "hunting.sources.local:LocalQuerySource",
    "loganalytics": "hunting.sources.loganalytics:LogAnalyticsQuerySource",
}
