"""A finding builder for responder tests: each test states only what it is about."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hunting.models import Finding, Owner, Severity, Verdict

HUNT_ID = "fd366644-9bb6-4c00-870c-526ba9186270"
T0 = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)


def finding(device: str = "ws-0142.contoso.com", *, device_id: str = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
            url: str = "relay7.meshcentral.com", last: datetime | None = None, count: int = 3,
            verdict: Verdict = Verdict.SUSPICIOUS, severity: Severity = Severity.HIGH,
            owner: Owner | None = Owner("alice@contoso.com", "Alice Example", "Finance", "inventory"),
            tickets: tuple[str, ...] = ("CHG0030001",), rules: tuple[str, ...] = (),
            reasons: tuple[str, ...] = ("2 of 3 connections outside CHG0030001 window",)) -> Finding:
    last_seen = last or T0 + timedelta(hours=2)
    return Finding(hunt_id=HUNT_ID, hunt_name="Remote Management and Monitoring tool - MeshCentral - Network Connection",
                   device_id=device_id, device_name=device, remote_url=url, first_seen=T0, last_seen=last_seen,
                   count=count, report_ids=("7001", "7002", "7003"), verdict=verdict, severity=severity,
                   owner=owner, change_tickets=tickets, suppression_ids=rules, reasons=reasons,
                   techniques=("T1219",))
