"""Enrichment: who owns a device, and which change tickets could explain its activity.

Two plugin kinds, one protocol and one registry each. Sources are chained in
the configured order; the first ownership source that knows a device wins.
Registry entries are "module:Class" strings so heavy clients load lazily.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, Sequence

from hunting.models import ChangeTicket, Device, Owner


class OwnershipSource(Protocol):
    name: str

    def lookup_owners(self, devices: Sequence[Device]) -> dict[Device, Owner]:
        """Owners of the devices this source knows; unknown devices are left out.

        Raises:
            SourceError: the source could not answer (the pipeline fails open).
        """
        ...


class ChangeSource(Protocol):
    name: str

    def list_changes(self, devices: Sequence[Device], start: datetime, end: datetime) -> list[ChangeTicket]:
        """Change tickets on any of the devices whose window overlaps [start, end], in any state.

        Raises:
            SourceError: the source could not answer (the pipeline fails open).
        """
        ...


OWNERSHIP_SOURCES: dict[str, str] = {
    "inventory": "enrichment.inventory:InventoryOwnership",
    "defender": "enrichment.defender:DefenderOwnership",
    "intune": "enrichment.intune:IntuneOwnership",
    "servicenow": "enrichment.servicenow_cmdb:ServiceNowCmdbOwnership",
}

CHANGE_SOURCES: dict[str, str] = {
    "calendar": "enrichment.change_calendar:ChangeCalendar",
    "servicenow": "enrichment.servicenow_changes:ServiceNowChanges",
}
