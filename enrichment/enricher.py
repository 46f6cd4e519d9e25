"""Asking every configured source about every hit device, once per run, failing open."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Sequence

from hunting.devices import DeviceNameIndex
from hunting.errors import describe
from hunting.models import ChangeTicket, Device, Enrichment, Owner

from . import ChangeSource, OwnershipSource

log = logging.getLogger(__name__)


class Enricher:
    """Owners from a chain of sources (the first that knows a device wins) and changes from all.

    Each source gets one call with all devices, so batching is the source's job
    and the number of lookups does not grow with the number of hits. A source
    that fails is named in every affected device's ``failures``; triage then
    leaves those findings suspicious (fail open).
    """

    def __init__(self, ownership: Sequence[OwnershipSource], changes: Sequence[ChangeSource]):
        self._ownership = list(ownership)
        self._changes = list(changes)

    def enrich(self, devices: Sequence[Device], start: datetime, end: datetime) -> dict[Device, Enrichment]:
        devices = list(dict.fromkeys(devices))
        answers: list[tuple[str, dict[Device, Owner]]] = []
        failures: list[str] = []
        for source in self._ownership:
            try:
                answers.append((source.name, source.lookup_owners(devices)))
            except Exception as exc:  # fail open: one dead source must not stop the run
                log.warning("ownership source %s failed: %s", source.name, describe(exc))
                failures.append(f"ownership source {source.name}: {type(exc).__name__}")
        tickets: list[ChangeTicket] = []
        for source in self._changes:
            try:
                tickets.extend(source.list_changes(devices, start, end))
            except Exception as exc:  # fail open, as above
                log.warning("change source %s failed: %s", source.name, describe(exc))
                failures.append(f"change source {source.name}: {type(exc).__name__}")
        by_ci = DeviceNameIndex((t.cmdb_ci, t) for t in dict.fromkeys(tickets))
        return {device: self._for_device(device, answers, tuple(by_ci.find(device.device_name)), failures)
                for device in devices}

    @staticmethod
    def _for_device(device: Device, answers: list[tuple[str, dict[Device, Owner]]],
                    tickets: tuple[ChangeTicket, ...], failures: list[str]) -> Enrichment:
        known = [(name, found[device]) for name, found in answers if device in found]
        owner = known[0][1] if known else None
        notes = tuple(
            f"owner per {name} is {other.upn or other.name} (kept {owner.source}: {owner.upn or owner.name})"
            for name, other in known[1:]
            if owner is not None and not same_person(owner, other)
        )
        return Enrichment(owner=owner, changes=tickets, failures=tuple(failures), notes=notes)


def same_person(a: Owner, b: Owner) -> bool:
    """Whether two sources name the same person: ``alice@contoso.com`` is ``CONTOSO\\alice`` (Defender's form)."""
    return _account(a.upn or a.name) == _account(b.upn or b.name)


def _account(identity: str) -> str:
    """``user@domain`` with the domain cut to its first label, from a UPN or a ``DOMAIN\\user`` account."""
    text = identity.strip().lower()
    if "\\" in text:
        domain, _, user = text.partition("\\")
        return f"{user}@{domain.split('.', 1)[0]}"
    user, at, domain = text.partition("@")
    return f"{user}@{domain.split('.', 1)[0]}" if at else text
