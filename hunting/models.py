"""The data that flows from hunt to enrichment to triage to responders.

Every stage speaks these frozen dataclasses; loaders turn files and API answers
into them at the edge, so nothing downstream handles raw rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any


class Verdict(str, Enum):
    SUSPICIOUS = "suspicious"
    MAINTENANCE = "maintenance"
    SUPPRESSED = "suppressed"


class Severity(str, Enum):
    INFORMATIONAL = "informational"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True)
class Hunt:
    """One hunting query, as loaded from its Sentinel-format YAML file."""

    id: str
    name: str
    description: str
    query: str
    tables: tuple[str, ...]
    tactics: tuple[str, ...]
    techniques: tuple[str, ...]
    severity: Severity
    lookback: timedelta  # how far back the query reads, for sources that bound a timespan
    group_by: tuple[str, ...]  # the final summarize's by-columns: what one hit is
    path: str


@dataclass(frozen=True)
class Device:
    """A device as the hunt saw it: Defender's id and (usually FQDN) name."""

    device_id: str
    device_name: str


@dataclass(frozen=True)
class Event:
    """One row behind a hit: what triage judges, one connection at a time."""

    timestamp: datetime
    device_id: str
    device_name: str
    remote_url: str
    remote_ip: str
    remote_port: int | None
    process_name: str
    account_name: str
    report_id: str


@dataclass(frozen=True)
class Hit:
    """One row of a hunt's result, with the events the hunt counted for it."""

    hunt: Hunt
    device: Device
    remote_url: str
    first_seen: datetime
    last_seen: datetime
    count: int
    report_ids: tuple[str, ...]
    key: tuple[Any, ...]  # values of hunt.group_by, to match drill-down events
    events: tuple[Event, ...] = ()
    partial: str | None = None  # why the hunt's data may be incomplete, if it may be


@dataclass(frozen=True)
class Owner:
    upn: str
    name: str
    team: str
    source: str
    criticality: str = ""

    def as_json(self) -> dict[str, str]:
        return {"upn": self.upn, "name": self.name, "team": self.team, "source": self.source}


@dataclass(frozen=True)
class ChangeTicket:
    """A change request, normalised from ServiceNow's change_request shape."""

    number: str
    short_description: str
    state: str  # ServiceNow state name: New, Assess, ..., Closed, Canceled
    approval: str  # approved, requested, rejected, not requested
    start: datetime | None
    end: datetime | None
    cmdb_ci: str
    assignment_group: str = ""
    source: str = ""


@dataclass(frozen=True)
class SuppressionRule:
    """An approved exception; every field given in ``match`` must match an event."""

    id: str
    hunt: str  # a hunt id, or "*"
    reason: str
    owner: str
    expires: datetime
    device_name: str | None = None
    remote_url: str | None = None
    process_name: str | None = None
    account_name: str | None = None
    remote_ip: tuple[Any, ...] = ()  # ipaddress networks
    remote_port: tuple[int, ...] = ()


@dataclass(frozen=True)
class Enrichment:
    """What the enrichment stage learned about one hit's device."""

    owner: Owner | None
    changes: tuple[ChangeTicket, ...]
    failures: tuple[str, ...] = ()  # "inventory: OSError", one per lookup that failed
    notes: tuple[str, ...] = ()  # e.g. a second source that disagrees on the owner


@dataclass(frozen=True)
class Finding:
    """One hunt x device x remote URL, with its verdict and the reasons for it."""

    hunt_id: str
    hunt_name: str
    device_id: str
    device_name: str
    remote_url: str
    first_seen: datetime
    last_seen: datetime
    count: int
    report_ids: tuple[str, ...]
    verdict: Verdict
    severity: Severity
    owner: Owner | None
    change_tickets: tuple[str, ...]
    suppression_ids: tuple[str, ...]
    reasons: tuple[str, ...]
    techniques: tuple[str, ...] = field(default=(), compare=False)
    events: tuple[Event, ...] = field(default=(), compare=False, repr=False)

    @property
    def dedup_key(self) -> tuple[str, str, str]:
        return (self.hunt_id, self.device_id, self.remote_url)

    def as_json(self) -> dict[str, Any]:
        """The finding shape of design.md, one JSON object per finding."""
        return {
            "hunt_id": self.hunt_id,
            "hunt_name": self.hunt_name,
            "device_id": self.device_id,
            "device_name": self.device_name,
            "remote_url": self.remote_url,
            "first_seen": iso_z(self.first_seen),
            "last_seen": iso_z(self.last_seen),
            "count": self.count,
            "report_ids": list(self.report_ids),
            "verdict": self.verdict.value,
            "severity": self.severity.value,
            "owner": self.owner.as_json() if self.owner else None,
            "change_tickets": list(self.change_tickets),
            "suppression_ids": list(self.suppression_ids),
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class ResponderOutcome:
    """What one responder did with a run's findings."""

    sent: int = 0
    failed: int = 0
    detail: str = ""


def iso_z(moment: datetime) -> str:
    """UTC ISO 8601 with a ``Z``, whole seconds unless the moment has a fraction."""
    utc = moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    text = utc.isoformat(timespec="microseconds" if utc.microsecond else "seconds")
    return text.replace("+00:00", "Z")

