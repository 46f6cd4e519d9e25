"""Small builders for model objects, so each test states only what it is about."""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta, timezone

from hunting.models import ChangeTicket, Device, Enrichment, Event, Hit, Hunt, Owner, Severity, SuppressionRule

HUNT_ID = "fd366644-9bb6-4c00-870c-526ba9186270"
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def hunt(hunt_id: str = HUNT_ID, severity: Severity = Severity.MEDIUM) -> Hunt:
    return Hunt(id=hunt_id, name="MeshCentral - Network Connection", description="", query="T | summarize by DeviceId",
                tables=("DeviceNetworkEvents",), tactics=("CommandAndControl",), techniques=("T1219",),
                severity=severity, lookback=timedelta(days=5), group_by=("DeviceId", "DeviceName", "RemoteUrl"),
                path="hunt.yaml")


def event(when: str, *, device: str = "ws-0142.contoso.com", url: str = "meshcentral.com", ip: str = "203.0.113.9",
          port: int | None = 443, process: str = "meshagent64.exe", account: str = "alice", report: str = "1") -> Event:
    return Event(timestamp=utc(when), device_id="dev-1", device_name=device, remote_url=url, remote_ip=ip,
                 remote_port=port, process_name=process, account_name=account, report_id=report)


def hit(*events: Event, the_hunt: Hunt | None = None, count: int | None = None, partial: str | None = None) -> Hit:
    first = min(e.timestamp for e in events)
    last = max(e.timestamp for e in events)
    return Hit(hunt=the_hunt or hunt(), device=Device("dev-1", events[0].device_name), remote_url=events[0].remote_url,
               first_seen=first, last_seen=last, count=len(events) if count is None else count,
               report_ids=tuple(e.report_id for e in events), key=(), events=tuple(events), partial=partial)


def ticket(number: str = "CHG0030001", *, ci: str = "WS-0142", start: str = "2026-12-02T00:00:00Z",
           end: str = "2026-12-02T04:00:00Z", state: str = "Scheduled", approval: str = "approved") -> ChangeTicket:
    return ChangeTicket(number=number, short_description="maintenance", state=state, approval=approval,
                        start=utc(start), end=utc(end), cmdb_ci=ci)


def rule(rule_id: str = "SUP-0001", *, hunt_id: str = HUNT_ID, expires: str = "2027-01-01T00:00:00Z",
         **match: object) -> SuppressionRule:
    networks = tuple(ipaddress.ip_network(c) for c in match.pop("remote_ip", ()))
    ports = tuple(match.pop("remote_port", ()))
    return SuppressionRule(id=rule_id, hunt=hunt_id, reason="approved", owner="it@contoso.com",
                           expires=utc(expires), remote_ip=networks, remote_port=ports, **match)


def owner(criticality: str = "medium") -> Owner:
    return Owner(upn="alice@contoso.com", name="Alice", team="Finance", source="inventory", criticality=criticality)


def enrichment(*changes: ChangeTicket, who: Owner | None = None, failures: tuple[str, ...] = ()) -> Enrichment:
    return Enrichment(owner=who if who is not None else owner(), changes=changes, failures=failures)
