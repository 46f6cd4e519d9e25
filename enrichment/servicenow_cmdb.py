"""Ownership from the ServiceNow CMDB (``cmdb_ci_computer``): many CIs per request, paged, in parallel.

A CI may be named ``WS-0142`` or ``ws-0142.contoso.com``, with or without an
``fqdn``; Defender names the device ``ws-0142.contoso.com``. So each request
asks for every name a hit device could carry (``nameIN<labels and FQDNs>^ORfqdnIN<FQDNs>``)
and the answers are matched back under rule 2 (``hunting.devices``): a CI with
an FQDN is known by it, so ``WS-0511`` with fqdn ``ws-0511.fabrikam.com`` never
owns ``ws-0511.contoso.com``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence, TypeVar
from urllib.parse import quote

from hunting.devices import DeviceNameIndex, host_label, is_fqdn, normalize
from hunting.http import bounded_map
from hunting.models import Device, Owner
from hunting.servicenow import ServiceNowClient, encoded_in

if TYPE_CHECKING:
    from hunting.assemble import Context

T = TypeVar("T")
TABLE = "cmdb_ci_computer"
FIELDS = ("sys_id", "name", "fqdn", "assigned_to.email", "assigned_to.user_name", "assigned_to.name",
          "managed_by.email", "managed_by.user_name", "managed_by.name", "support_group.name")
RETIRED = "7"  # install_status 7: Retired CIs own nothing
#: Longest URL-encoded name condition per request: keeps request lines well under the usual 8 KB limits.
MAX_CONDITION_LENGTH = 6000


class ServiceNowCmdbOwnership:
    """Owner = the CI's assigned_to (else managed_by); team = its support group."""

    name = "servicenow"

    def __init__(self, client: ServiceNowClient, *, concurrency: int = 4):
        self._client = client
        self._concurrency = max(1, concurrency)

    @classmethod
    def from_context(cls, context: "Context") -> "ServiceNowCmdbOwnership":
        settings = context.settings
        return cls(ServiceNowClient.shared(settings),
                   concurrency=int(settings.get_float("SERVICENOW_CONCURRENCY")))

    def lookup_owners(self, devices: Sequence[Device]) -> dict[Device, Owner]:
        queries = [f"{condition}^install_status!={RETIRED}" for condition in ci_conditions(devices, "name", "fqdn")]
        owners: DeviceNameIndex[Owner] = DeviceNameIndex()
        for page in bounded_map(self._concurrency, lambda q: self._client.list_records(TABLE, q, FIELDS), queries):
            for ci in page:
                owner = _owner(ci)
                if owner is not None:
                    owners.add(ci_name(ci.get("name"), ci.get("fqdn")), owner)
        found: dict[Device, Owner] = {}
        for device in dict.fromkeys(devices):
            matches = owners.find(device.device_name)
            if matches:
                found[device] = matches[0]
        return found


def ci_name(name: Any, fqdn: Any) -> str:
    """The name a CI is known by for matching: its FQDN when it has one (the domain tells machines apart)."""
    name, fqdn = str(name or ""), str(fqdn or "")
    return fqdn if is_fqdn(fqdn) else name


def ci_conditions(devices: Iterable[Device], name_field: str, fqdn_field: str) -> list[str]:
    """``<name>IN...^OR<fqdn>IN...`` conditions covering every device, each short enough for one URL."""
    chunks = chunk_by_cost(
        list(dict.fromkeys(normalize(d.device_name) for d in devices if normalize(d.device_name))),
        lambda name: 2 * len(quote(name)) + len(quote(host_label(name))) + 9, MAX_CONDITION_LENGTH)
    conditions = []
    for names in chunks:
        fqdns = [n for n in names if is_fqdn(n)]
        condition = encoded_in(name_field, [host_label(n) for n in names] + fqdns)
        if fqdns:
            condition += "^OR" + encoded_in(fqdn_field, fqdns)
        conditions.append(condition)
    return conditions


def chunk_by_cost(items: Sequence[T], cost: Callable[[T], int], budget: int) -> list[list[T]]:
    """Consecutive chunks whose summed cost stays within ``budget`` (an item over it goes alone)."""
    chunks: list[list[T]] = []
    current: list[T] = []
    spent = 0
    for item in items:
        weight = cost(item)
        if current and spent + weight > budget:
            chunks.append(current)
            current, spent = [], 0
        current.append(item)
        spent += weight
    if current:
        chunks.append(current)
    return chunks


def _owner(ci: dict[str, Any]) -> Owner | None:
    for role in ("assigned_to", "managed_by"):
        upn = str(ci.get(f"{role}.email") or ci.get(f"{role}.user_name") or "")
        person = str(ci.get(f"{role}.name") or "")
        if upn or person:
            return Owner(upn=upn, name=person, team=str(ci.get("support_group.name") or ""), source="servicenow")
    team = str(ci.get("support_group.name") or "")
    return Owner(upn="", name=team, team=team, source="servicenow") if team else None
