"""Approved exceptions from ``suppressions.yaml``: a list of rules, each with an owner and an expiry.

    - id: SUP-0001
      hunt: fd366644-9bb6-4c00-870c-526ba9186270   # or "*"
      reason: Nightly asset inventory through MeshCentral
      owner: it-ops@contoso.com
      expires: 2027-03-31            # a date alone is valid through that day (UTC)
      match:                         # every field given must match an event
        device_name: "srv-inv-*"     # glob, case-insensitive
        remote_url: "*.meshcentral.com"
        process_name: meshagent64.exe
        account_name: svc_inventory
        remote_ip: [203.0.113.0/24]  # CIDRs
        remote_port: [443]
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from hunting.errors import InputError
from hunting.yamlfile import load_yaml
from hunting.models import SuppressionRule
from hunting.timeparse import parse_expiry

REQUIRED = ("id", "hunt", "reason", "owner", "expires", "match")
MATCH_FIELDS = ("device_name", "remote_url", "process_name", "account_name", "remote_ip", "remote_port")


class _LineLoader(yaml.SafeLoader):
    """Records each mapping's line, so a bad rule is reported where it is."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def load_suppressions(path: Path) -> list[SuppressionRule]:
    """The rules in ``path``; no file means no rules.

    Raises:
        InputError: invalid YAML or a rule with a missing or malformed field (file and line).
    """
    path = Path(path)
    if not path.exists():
        return []
    data = load_yaml(path, _LineLoader) or []
    if not isinstance(data, list):
        raise InputError("expected a list of rules", path=path, line=1)
    rules, seen = [], set()
    for item in data:
        rule = _rule(item, path)
        if rule.id in seen:
            raise InputError(f"duplicate rule id {rule.id}", path=path, line=item.get("__line__"))
        seen.add(rule.id)
        rules.append(rule)
    return rules


def _rule(item: Any, path: Path) -> SuppressionRule:
    if not isinstance(item, dict):
        raise InputError("each rule must be a mapping", path=path)
    line = item.get("__line__")
    missing = [k for k in REQUIRED if item.get(k) in (None, "")]
    if missing:
        raise InputError(f"rule is missing {', '.join(missing)}", path=path, line=line)
    match = item["match"]
    if not isinstance(match, dict):
        raise InputError("match must be a mapping", path=path, line=line)
    fields = {k: v for k, v in match.items() if k != "__line__"}
    unknown = sorted(set(fields) - set(MATCH_FIELDS))
    if unknown:
        raise InputError(f"unknown match field(s) {', '.join(unknown)}; known: {', '.join(MATCH_FIELDS)}",
                         path=path, line=match.get("__line__", line))
    if not fields:
        raise InputError("match is empty: a rule must say what it matches", path=path, line=line)
    expires = item["expires"]
    try:
        expiry = parse_expiry(expires.isoformat() if isinstance(expires, datetime) else str(expires))
    except ValueError as exc:
        raise InputError(f"expires: {exc}", path=path, line=line) from None
    try:
        networks = tuple(ipaddress.ip_network(str(c), strict=False) for c in _listed(fields.get("remote_ip")))
    except ValueError as exc:
        raise InputError(f"remote_ip: {exc}", path=path, line=line) from None
    try:
        ports = tuple(int(p) for p in _listed(fields.get("remote_port")))
    except (TypeError, ValueError):
        raise InputError(f"remote_port must be a list of port numbers, got {fields.get('remote_port')!r}",
                         path=path, line=line) from None
    text = {k: (str(fields[k]) if fields.get(k) not in (None, "") else None)
            for k in ("device_name", "remote_url", "process_name", "account_name")}
    return SuppressionRule(
        id=str(item["id"]), hunt=str(item["hunt"]), reason=str(item["reason"]).strip(),
        owner=str(item["owner"]), expires=expiry, remote_ip=networks, remote_port=ports, **text)


def _listed(value: Any) -> list[Any]:
    if value in (None, ""):
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]
