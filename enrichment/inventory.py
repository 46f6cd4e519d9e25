"""Ownership from the workspace's ``inventory.csv``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from hunting.devices import DeviceNameIndex
from hunting.errors import InputError
from hunting.models import Device, Owner

from .csvfile import read_rows

if TYPE_CHECKING:
    from hunting.assemble import Context

COLUMNS = ("device_name", "device_id", "owner_upn", "owner_name", "team", "criticality")
CRITICALITIES = ("low", "medium", "high", "critical")


class InventoryOwnership:
    """Looks devices up by Defender device id first, then by name (short name = FQDN host label)."""

    name = "inventory"

    def __init__(self, path: Path):
        self._by_id: dict[str, Owner] = {}
        self._by_name: DeviceNameIndex[Owner] = DeviceNameIndex()
        for line, row in read_rows(Path(path), COLUMNS):
            criticality = row["criticality"].lower()
            if criticality and criticality not in CRITICALITIES:
                raise InputError(f"criticality must be one of {', '.join(CRITICALITIES)}, got {row['criticality']!r}",
                                 path=path, line=line)
            if not row["device_name"]:
                raise InputError("device_name is empty", path=path, line=line)
            owner = Owner(upn=row["owner_upn"], name=row["owner_name"], team=row["team"],
                          source=self.name, criticality=criticality)
            if row["device_id"]:
                self._by_id[row["device_id"].lower()] = owner
            self._by_name.add(row["device_name"], owner)

    @classmethod
    def from_context(cls, context: "Context") -> "InventoryOwnership":
        return cls(context.require_workspace("the inventory ownership source").inventory)

    def lookup_owners(self, devices: Sequence[Device]) -> dict[Device, Owner]:
        found: dict[Device, Owner] = {}
        for device in devices:
            owner = self._by_id.get(device.device_id.lower()) if device.device_id else None
            if owner is None:
                matches = self._by_name.find(device.device_name)
                owner = matches[0] if matches else None
            if owner is not None:
                found[device] = owner
        return found
