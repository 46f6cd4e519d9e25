"""A changing sample for the fault-injection suite: devices come, go quiet, get new activity, get explained.

Each ``step`` is one hourly run: it returns the findings that run's hunt would
report (activity within the hunt's lookback) and remembers, per dedup key, the
newest activity seen as suspicious: what the targets must end up showing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from hunting.models import Finding, Owner, Severity, Verdict

HUNT_ID = "fd366644-9bb6-4c00-870c-526ba9186270"
START = datetime(2026, 12, 1, tzinfo=timezone.utc)
LOOKBACK = timedelta(hours=12)


@dataclass
class Device:
    device_id: str
    name: str
    url: str
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    count: int = 0
    explained: bool = False


@dataclass
class World:
    rng: random.Random
    devices: list[Device] = field(default_factory=list)
    expected: dict[tuple[str, str, str], datetime] = field(default_factory=dict)  # key -> newest suspicious activity
    run: int = 0

    def step(self) -> list[Finding]:
        """One hour passes: new devices, new activity, verdicts that change; then the hunt runs."""
        self.run += 1
        now = self.now
        if not self.devices or (len(self.devices) < 30 and self.rng.random() < 0.15):
            n = len(self.devices)
            self.devices.append(Device(f"dev-{n:03d}", f"ws-{n:04d}.contoso.com",
                                       self.rng.choice(("meshcentral.com", "relay7.meshcentral.com"))))
        for device in self.devices:
            if self.rng.random() < 0.25:
                moment = now - timedelta(minutes=self.rng.randrange(0, 59))
                device.first_seen = device.first_seen or moment
                device.last_seen = max(moment, device.last_seen or moment)
                device.count += self.rng.randint(1, 4)
            if self.rng.random() < 0.04:
                device.explained = not device.explained  # a change ticket covers it, or stops covering it
        return self.observe()

    @property
    def now(self) -> datetime:
        return START + timedelta(hours=self.run)

    def observe(self) -> list[Finding]:
        """What the hunt reports now: every device with activity inside the lookback."""
        now = self.now
        findings = []
        for device in self.devices:
            if device.last_seen is None or now - device.last_seen > LOOKBACK:
                continue
            verdict = Verdict.MAINTENANCE if device.explained else Verdict.SUSPICIOUS
            finding = Finding(
                hunt_id=HUNT_ID, hunt_name="MeshCentral - Network Connection", device_id=device.device_id,
                device_name=device.name, remote_url=device.url, first_seen=device.first_seen, last_seen=device.last_seen,
                count=device.count, report_ids=(str(device.count),), verdict=verdict,
                severity=Severity.INFORMATIONAL if device.explained else self.rng.choice((Severity.MEDIUM, Severity.HIGH)),
                owner=Owner("alice@contoso.com", "Alice", "Finance", "inventory") if self.rng.random() < 0.8 else None,
                change_tickets=("CHG0030001",) if device.explained else (), suppression_ids=(),
                reasons=(f"{device.count} connections not explained",), techniques=("T1219",))
            findings.append(finding)
            if verdict is Verdict.SUSPICIOUS:
                key = finding.dedup_key
                self.expected[key] = max(finding.last_seen, self.expected.get(key, finding.last_seen))
        return findings
