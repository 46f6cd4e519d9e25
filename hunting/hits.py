"""Running one hunt: its query, then one drill-down for all its hits (triage rule 1)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Mapping

from . import kql
from .errors import SourceError
from .models import Device, Event, Hit, Hunt
from .sources import QuerySource
from .timeparse import as_utc, parse_moment

REQUIRED_COLUMNS = ("DeviceId", "DeviceName", "FirstSeen", "LastSeen", "Count")


def find_hits(hunt: Hunt, source: QuerySource, now: datetime) -> list[Hit]:
    """The hunt's hits, each carrying the events the hunt counted for it.

    The drill-down is bounded by the hits' own first/last seen, so a source that
    evaluates ``now()`` again (Log Analytics) still sees the same events.

    Raises:
        SourceError: the source failed, or its answer lacks the columns a hit needs.
    """
    result = source.query(hunt.query, tables=hunt.tables, now=now, timespan=hunt.lookback)
    missing = [c for c in REQUIRED_COLUMNS if c not in result.columns]
    if missing:
        raise SourceError(source.name, f"hunt {hunt.id} returned no {', '.join(missing)} column")
    rows = result.records()
    if not rows:
        return []
    hits = [_hit(hunt, row, result.partial) for row in rows]
    start = min(h.first_seen for h in hits)
    # Kusto keeps 100 ns ticks, Python microseconds: a LastSeen of .1234567 reads as .123456,
    # so the upper bound gets one more microsecond to keep that last event inside.
    end = max(h.last_seen for h in hits) + timedelta(microseconds=1)
    drill = source.query(
        kql.drilldown_query(hunt.query, device_ids=[h.device.device_id for h in hits],
                            group_by=hunt.group_by, between=(start, end)),
        tables=hunt.tables, now=now, timespan=hunt.lookback,
    )
    events: dict[tuple[Any, ...], list[Event]] = {}
    for row in drill.records():
        events.setdefault(tuple(row.get(c) for c in hunt.group_by), []).append(_event(row))
    return [
        _with_events(hit, events.get(hit.key, []), drill.partial)
        for hit in hits
    ]


def _with_events(hit: Hit, events: list[Event], partial: str | None) -> Hit:
    inside = tuple(sorted((e for e in events if hit.first_seen <= e.timestamp <= hit.last_seen),
                          key=lambda e: (e.timestamp, e.report_id)))
    reasons = [p for p in (hit.partial, partial) if p]
    return Hit(hunt=hit.hunt, device=hit.device, remote_url=hit.remote_url, first_seen=hit.first_seen,
               last_seen=hit.last_seen, count=hit.count, report_ids=hit.report_ids, key=hit.key,
               events=inside, partial="; ".join(dict.fromkeys(reasons)) or None)


def _hit(hunt: Hunt, row: Mapping[str, Any], partial: str | None) -> Hit:
    return Hit(
        hunt=hunt,
        device=Device(device_id=str(row["DeviceId"] or ""), device_name=str(row["DeviceName"] or "")),
        remote_url=str(row.get("RemoteUrl") or ""),
        first_seen=_moment(row["FirstSeen"]),
        last_seen=_moment(row["LastSeen"]),
        count=int(row["Count"]),
        report_ids=tuple(str(r) for r in _as_list(row.get("Report"))),
        key=tuple(row.get(c) for c in hunt.group_by),
        partial=partial,
    )


def _event(row: Mapping[str, Any]) -> Event:
    port = row.get("RemotePort")
    return Event(
        timestamp=_moment(row["Timestamp"]),
        device_id=str(row.get("DeviceId") or ""),
        device_name=str(row.get("DeviceName") or ""),
        remote_url=str(row.get("RemoteUrl") or ""),
        remote_ip=str(row.get("RemoteIP") or ""),
        remote_port=int(port) if port not in (None, "") else None,
        process_name=str(row.get("InitiatingProcessFileName") or ""),
        account_name=str(row.get("InitiatingProcessAccountName") or ""),
        report_id=str(row.get("ReportId") if row.get("ReportId") is not None else ""),
    )


def _moment(value: Any) -> datetime:
    return as_utc(value) if isinstance(value, datetime) else parse_moment(str(value))


def _as_list(value: Any) -> list[Any]:
    """make_set() output: a list, or (as Log Analytics sends dynamic values) JSON text of one."""
    if value is None:
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return [value]
    return sorted(value, key=lambda v: (len(str(v)), str(v))) if isinstance(value, list) else [value]
