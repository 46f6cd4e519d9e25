"""Loading hunt definitions: Sentinel hunting-query YAML files, validated at the edge.

A hunt file keeps Sentinel's format (id, name, description,
requiredDataConnectors, tactics, relevantTechniques, query) so it can be pasted
into Sentinel as is. Two optional keys of our own: ``severity`` (default
medium) and ``lookback`` (default: read from the query's ``now(-X)``/``ago(X)``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from . import kql
from .errors import InputError
from .models import Hunt, Severity
from .timeparse import parse_timespan
from .yamlfile import load_yaml

QUERIES_DIR = Path(__file__).parent / "queries"
REQUIRED_FIELDS = ("id", "name", "description", "requiredDataConnectors", "tactics", "relevantTechniques", "query")


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return tuple(str(v) for v in value)


def _tables(connectors: Any, path: Path) -> tuple[str, ...]:
    if not isinstance(connectors, list) or not connectors:
        raise InputError("requiredDataConnectors must be a non-empty list", path=path)
    tables: list[str] = []
    for connector in connectors:
        if not isinstance(connector, dict) or not isinstance(connector.get("dataTypes"), list):
            raise InputError("each requiredDataConnectors entry needs a dataTypes list", path=path)
        tables.extend(str(t) for t in connector["dataTypes"])
    return tuple(dict.fromkeys(tables))


def parse_hunt(data: Any, path: Path) -> Hunt:
    """A Hunt from one YAML document.

    Raises:
        InputError: a field is missing or wrong, or the KQL does not parse.
    """
    import duckdb_kql

    if not isinstance(data, dict):
        raise InputError("a hunt file must be a YAML mapping", path=path)
    missing = [f for f in REQUIRED_FIELDS if not data.get(f)]
    if missing:
        raise InputError(f"missing required field(s): {', '.join(missing)}", path=path)
    query = str(data["query"])
    try:
        duckdb_kql.parse(query)
    except duckdb_kql.KqlError as exc:
        raise InputError(f"query does not parse: {exc}", path=path) from None
    try:
        duckdb_kql.to_sql(query)  # the local engine must run every hunt too: same KQL, same findings
    except duckdb_kql.KqlError as exc:
        raise InputError(f"query uses KQL the local engine cannot run: {exc}", path=path) from None
    try:
        group_by = kql.summarize_group_by(query)
    except ValueError as exc:
        raise InputError(f"query: {exc}", path=path) from None
    missing_keys = {"DeviceId", "DeviceName"} - set(group_by)
    if missing_keys:
        raise InputError(f"query: summarize must be by {', '.join(sorted(missing_keys))} too", path=path)
    try:
        severity = Severity(str(data.get("severity", "medium")).lower())
    except ValueError:
        known = ", ".join(s.value for s in Severity)
        raise InputError(f"unknown severity {data.get('severity')!r}; known: {known}", path=path) from None
    try:
        span = parse_timespan(str(data["lookback"])) if data.get("lookback") else kql.lookback(query)
    except ValueError as exc:
        raise InputError(f"lookback: {exc}", path=path) from None
    if span is None:
        raise InputError("cannot tell how far back the query reads: add 'lookback: 5d'", path=path)
    return Hunt(
        id=str(data["id"]),
        name=str(data["name"]),
        description=str(data["description"]).strip(),
        query=query,
        tables=_tables(data["requiredDataConnectors"], path),
        tactics=_as_tuple(data.get("tactics")),
        techniques=_as_tuple(data.get("relevantTechniques")),
        severity=severity,
        lookback=span,
        group_by=group_by,
        path=str(path),
    )


def load_hunts(directory: Path = QUERIES_DIR) -> list[Hunt]:
    """Every ``*.yaml`` hunt in ``directory``, sorted by file name; ids must be unique.

    Raises:
        InputError: the first bad file, by name.
    """
    hunts: list[Hunt] = []
    seen: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        hunt = parse_hunt(load_yaml(path), path)
        if hunt.id in seen:
            raise InputError(f"duplicate hunt id {hunt.id} (also in {seen[hunt.id]})", path=path)
        seen[hunt.id] = path.name
        hunts.append(hunt)
    if not hunts:
        raise InputError("no hunt definitions (*.yaml) found", path=directory)
    return hunts


def select_hunts(hunts: Iterable[Hunt], ids: Iterable[str] | None) -> list[Hunt]:
    """The hunts named by ``ids`` (all when none), in the order given.

    Raises:
        InputError: an id that no hunt has.
    """
    hunts = list(hunts)
    if not ids:
        return hunts
    by_id = {h.id: h for h in hunts}
    chosen = []
    for hunt_id in ids:
        if hunt_id not in by_id:
            raise InputError(f"unknown hunt id {hunt_id!r}; known: {', '.join(sorted(by_id))}")
        chosen.append(by_id[hunt_id])
    return chosen
