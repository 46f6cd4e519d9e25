"""Ownership from Defender ``DeviceInfo``, through the run's own query source (local or Log Analytics).

One KQL query for all hit devices: per device, the latest report that names a
logged-on user, with its MachineGroup, DeviceCategory and AssetValue.
Defender knows accounts (``CONTOSO\\alice``), not UPNs, so the owner's name
is the account and its team the machine group; ``AssetValue`` (Low, Normal,
High) becomes the criticality (low, medium, high). Local accounts
(``LAPTOP-X9\\guest``) are skipped: they name no accountable person.

``LoggedOnUsers`` is a JSON string in Advanced Hunting and ``dynamic`` in Log
Analytics; ``todynamic`` reads both, and a value that is not a JSON list is
treated as "nobody logged on".
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable, Sequence

from hunting.devices import DeviceNameIndex, host_label, normalize
from hunting.errors import SettingsError
from hunting.kql import string_literal
from hunting.models import Device, Owner
from hunting.sources import QuerySource
from hunting.timeparse import parse_timespan, utc_now

if TYPE_CHECKING:
    from hunting.assemble import Context

log = logging.getLogger(__name__)

CRITICALITY = {"low": "low", "normal": "medium", "high": "high"}


class DefenderOwnership:
    name = "defender"

    def __init__(self, source: QuerySource, *, lookback: timedelta = timedelta(days=30),
                 clock: Callable[[], datetime] = utc_now):
        self._source = source
        self._lookback = lookback
        self._clock = clock

    @classmethod
    def from_context(cls, context: "Context") -> "DefenderOwnership":
        if context.query_source is None:
            raise SettingsError("the defender ownership source needs the run's query source")
        text = context.settings.get("HUNT_DEFENDER_LOOKBACK")
        try:
            lookback = parse_timespan(text)
        except ValueError as exc:
            raise SettingsError(f"setting HUNT_DEFENDER_LOOKBACK: {exc}") from None
        now = context.now
        return cls(context.query_source, lookback=lookback, clock=(lambda: now) if now else utc_now)

    def lookup_owners(self, devices: Sequence[Device]) -> dict[Device, Owner]:
        devices = [d for d in dict.fromkeys(devices) if d.device_id or normalize(d.device_name)]
        if not devices:
            return {}
        result = self._source.query(device_info_query(devices, self._lookback), tables=["DeviceInfo"], now=self._clock(),
                                    timespan=self._lookback)
        if result.partial:
            log.warning("defender: DeviceInfo answered in part: %s", result.partial)
        by_id: dict[str, Owner] = {}
        by_name: DeviceNameIndex[Owner] = DeviceNameIndex()
        for row in result.records():
            owner = _owner(row)
            if owner is None:
                continue
            if row.get("DeviceId"):
                by_id[str(row["DeviceId"]).lower()] = owner
            by_name.add(str(row.get("DeviceName") or ""), owner)
        found: dict[Device, Owner] = {}
        for device in devices:
            owner = by_id.get(device.device_id.lower()) if device.device_id else None
            if owner is None and not device.device_id:
                matches = by_name.find(device.device_name)
                owner = matches[0] if matches else None
            if owner is not None:
                found[device] = owner
        return found


def device_info_query(devices: Sequence[Device], lookback: timedelta = timedelta(days=30)) -> str:
    """The one query: latest DeviceInfo row with a logged-on user, per hit device (by id, else by host label).

    The lookback is in the KQL as well as in the timespan, so every source (the
    local one has no timespan) reads the same reports as of the run's ``now``.
    """
    ids = sorted({d.device_id for d in devices if d.device_id})
    labels = sorted({host_label(d.device_name) for d in devices if not d.device_id})
    conditions = []
    if ids:
        conditions.append(f"DeviceId in ({', '.join(string_literal(i) for i in ids)})")
    if labels:  # no id: any name with the same host label; rule 2 then picks the matching ones
        conditions.append("tolower(tostring(split(DeviceName, '.')[0])) in "
                          f"({', '.join(string_literal(label) for label in labels)})")
    return "\n".join([
        "DeviceInfo",
        f"| where Timestamp > ago({int(lookback.total_seconds())}s)",
        f"| where {' or '.join(conditions)}",
        "| where array_length(todynamic(LoggedOnUsers)) > 0",
        "| summarize arg_max(Timestamp, DeviceName, LoggedOnUsers, MachineGroup, DeviceCategory, AssetValue)"
        " by DeviceId",
    ])


def _owner(row: dict[str, Any]) -> Owner | None:
    users = row.get("LoggedOnUsers")
    if isinstance(users, str):
        try:
            users = json.loads(users)
        except ValueError:
            users = None
    if not isinstance(users, list):
        return None
    machine = host_label(str(row.get("DeviceName") or ""))
    for user in users:
        if isinstance(user, dict) and user.get("UserName"):
            domain, account = str(user.get("DomainName") or ""), str(user["UserName"])
            if machine and domain.lower() == machine:
                continue  # a local account (guest, kiosk) is nobody's accountable owner
            return Owner(upn=account if "@" in account else "", name=f"{domain}\\{account}" if domain else account,
                         team=str(row.get("MachineGroup") or ""), source="defender",
                         criticality=CRITICALITY.get(str(row.get("AssetValue") or "").lower(), ""))
    return None

