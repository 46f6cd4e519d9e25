"""Ownership from Intune: the primary user of the managed device, through Microsoft Graph ``$batch``.

Intune names a device by its short name (``WS-0142``), Defender by its FQDN,
so each distinct host label is looked up once (``deviceName eq 'WS-0142'``)
and the answers matched back under rule 2. A name Intune knows twice (a
re-enrolled device) takes the record that synced last; a device without a
primary user (kiosk, shared) has no owner here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence
from urllib.parse import quote

from hunting.devices import DeviceNameIndex, host_label, normalize
from hunting.models import Device, Owner
from hunting.timeparse import parse_moment

from .graph import GraphClient

if TYPE_CHECKING:
    from hunting.assemble import Context

SELECT = "id,deviceName,userPrincipalName,userDisplayName,emailAddress,azureADDeviceId,lastSyncDateTime"


class IntuneOwnership:
    name = "intune"

    def __init__(self, graph: GraphClient):
        self._graph = graph

    @classmethod
    def from_context(cls, context: "Context") -> "IntuneOwnership":
        return cls(GraphClient.from_settings(context.settings, source=cls.name))

    def lookup_owners(self, devices: Sequence[Device]) -> dict[Device, Owner]:
        labels = sorted({host_label(d.device_name) for d in devices if normalize(d.device_name)})
        answers = self._graph.get_all([managed_devices_url(label) for label in labels])
        latest: dict[str, dict[str, Any]] = {}
        for record in (r for page in answers for r in page):
            name = normalize(str(record.get("deviceName") or ""))
            if name and str(record.get("userPrincipalName") or "") and \
                    (name not in latest or _synced(record) > _synced(latest[name])):
                latest[name] = record
        index: DeviceNameIndex[dict[str, Any]] = DeviceNameIndex(latest.items())
        found: dict[Device, Owner] = {}
        for device in dict.fromkeys(devices):
            matches = index.find(device.device_name)
            if matches:
                record = matches[0]
                found[device] = Owner(upn=str(record["userPrincipalName"]),
                                      name=str(record.get("userDisplayName") or ""), team="", source=self.name)
        return found


def managed_devices_url(device_name: str) -> str:
    """The batch URL of one name's managed devices (quotes doubled, as OData wants, then URL-encoded)."""
    expression = "deviceName eq '" + device_name.replace("'", "''") + "'"
    return f"/deviceManagement/managedDevices?$filter={quote(expression, safe='')}&$select={SELECT}"


def _synced(record: dict[str, Any]) -> float:
    try:
        return parse_moment(str(record.get("lastSyncDateTime") or "")).timestamp()
    except ValueError:
        return 0.0
