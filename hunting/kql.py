"""The few things we need to know about a hunt's KQL text, and the drill-down we build from it.

Hunts stay verbatim Sentinel queries. To find the events behind each hit we cut
the query at its final top-level ``summarize`` and restrict what is left to the
hit devices (design.md, triage rule 1). Cutting text safely needs to know where
strings, comments and brackets are, which is all the scanner below does; the
real parsing is left to the engine (``duckdb_kql.parse``) and to the service.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Sequence

from .timeparse import parse_timespan

#: The columns every drill-down returns: what triage and the reasons talk about.
EVENT_COLUMNS = (
    "Timestamp",
    "DeviceId",
    "DeviceName",
    "RemoteUrl",
    "RemoteIP",
    "RemotePort",
    "InitiatingProcessFileName",
    "InitiatingProcessAccountName",
    "ReportId",
)

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Pipeline:
    """A query split at its last top-level ``|``: everything before it and the final operator."""

    prefix: str
    final_operator: str


def _code_mask(text: str) -> list[bool]:
    """For each character, whether it is code (not inside a string literal or comment)."""
    mask = [True] * len(text)
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end == -1 else end
            for k in range(i, end):
                mask[k] = False
            i = end
            continue
        if ch in "'\"" or (ch in "@hH" and i + 1 < n and text[i + 1] in "'\""
                           and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_"))):
            start = i
            verbatim = ch == "@"
            if ch in "@hH":
                i += 1
            quote = text[i]
            i += 1
            while i < n and text[i] != quote:
                if text[i] == "\\" and not verbatim:
                    i += 1
                i += 1
            i = min(i + 1, n)
            for k in range(start, i):
                mask[k] = False
            continue
        i += 1
    return mask


def _top_level(text: str) -> list[bool]:
    """For each character, whether it is code at bracket depth 0."""
    mask = _code_mask(text)
    depth, top = 0, []
    for i, ch in enumerate(text):
        if mask[i] and ch in ")]}":
            depth -= 1
        top.append(mask[i] and depth == 0)
        if mask[i] and ch in "([{":
            depth += 1
    return top


def _top_level_positions(text: str, char: str) -> list[int]:
    """Positions of ``char`` in code at bracket depth 0."""
    top = _top_level(text)
    return [i for i, ch in enumerate(text) if ch == char and top[i]]


def split_final_operator(query: str) -> Pipeline:
    """Split off the query's final top-level pipe operator.

    Raises:
        ValueError: the query has no pipe operator after its last statement.
    """
    statements = _top_level_positions(query, ";")
    body_start = statements[-1] + 1 if statements else 0
    pipes = [p for p in _top_level_positions(query, "|") if p >= body_start]
    if not pipes:
        raise ValueError("the query has no '|' operator to cut at")
    last = pipes[-1]
    return Pipeline(prefix=query[:last].rstrip(), final_operator=query[last + 1:].strip())


def summarize_group_by(query: str) -> tuple[str, ...]:
    """The columns of the query's final ``summarize ... by``: what one hit is.

    Raises:
        ValueError: the final operator is not a summarize with plain by-columns.
    """
    final = split_final_operator(query).final_operator
    if not re.match(r"summarize\b", final):
        raise ValueError("the query must end with '| summarize ... by <columns>' (one hit per row)")
    top = _top_level(final)
    by_at = None
    for match in re.finditer(r"\bby\b", final):
        if top[match.start()]:
            by_at = match.end()
    if by_at is None:
        raise ValueError("the final summarize has no 'by' clause")
    columns = tuple(part.strip() for part in final[by_at:].split(","))
    bad = [c for c in columns if not _IDENT.fullmatch(c)]
    if bad:
        raise ValueError(f"summarize by must list plain columns; got {', '.join(map(repr, bad))}")
    return columns


def lookback(query: str) -> timedelta | None:
    """The furthest the query reaches back through ``now(-X)`` or ``ago(X)``, if it says."""
    mask = _code_mask(query)
    spans = []
    for match in re.finditer(r"\b(?:now\s*\(\s*-\s*|ago\s*\(\s*)([0-9.]+\s*[a-z]*)\s*\)", query, re.I):
        if mask[match.start()]:
            try:
                spans.append(parse_timespan(match.group(1)))
            except ValueError:
                continue
    return max(spans) if spans else None


def string_literal(value: str) -> str:
    """A KQL string literal holding ``value`` exactly (device ids come from telemetry)."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
    return f"'{escaped}'"


def datetime_literal(moment: datetime) -> str:
    return f"datetime({moment.strftime('%Y-%m-%dT%H:%M:%S.%fZ')})"


def drilldown_query(
    query: str,
    *,
    device_ids: Iterable[str],
    group_by: Sequence[str],
    between: tuple[datetime, datetime] | None = None,
) -> str:
    """The hunt's query up to its final summarize, for the given devices, one row per event.

    ``between`` bounds the events by time explicitly, for services that evaluate
    ``now()`` again for every query: the drill-down then sees the hunt's events
    even if it runs seconds later.
    """
    prefix = split_final_operator(query).prefix
    ids = ", ".join(string_literal(d) for d in sorted(set(device_ids)))
    columns = list(dict.fromkeys([*EVENT_COLUMNS, *group_by]))
    lines = [prefix, f"| where DeviceId in ({ids})"]
    if between is not None:
        lines.append(f"| where Timestamp between ({datetime_literal(between[0])} .. {datetime_literal(between[1])})")
    lines.append(f"| project {', '.join(columns)}")
    return "\n".join(lines)
