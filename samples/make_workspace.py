"""Regenerate ``samples/workspace`` (deterministic): ``python samples/make_workspace.py``.

The sample is built to show every verdict and the seed's five false-positive
scenarios, among a few hundred rows of ordinary traffic. ``EXPECTED`` below is
what each MeshCentral hit must come out as; the end-to-end test reads it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

AS_OF = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)
HUNT_ID = "fd366644-9bb6-4c00-870c-526ba9186270"
OUT = Path(__file__).parent / "workspace"

#: device -> (remote url, verdict): what the sample was built to show.
EXPECTED = {
    ("ws-0142.contoso.com", "relay7.meshcentral.com"): "suspicious",      # no change, no rule: the real hit
    ("srv-patch-01.contoso.com", "meshcentral.com"): "maintenance",        # FP 1: scheduled patching
    ("srv-app-07.contoso.com", "meshcentral.com"): "maintenance",          # FP 2: admin remote desktop, +05:30 window
    ("srv-inv-01.contoso.com", "meshcentral.com"): "suppressed",           # FP 3: asset inventory
    ("ws-kiosk-03.contoso.com", "sync.meshcentral.com"): "suppressed",     # FP 4: Intune compliance sync
    ("srv-netmon-01.contoso.com", "meshcentral.com"): "suppressed",        # FP 5: network monitoring
    ("ws-0217.contoso.com", "meshcentral.com"): "suspicious",              # 2 of 5 outside the change window
    ("ws-0305.contoso.com", "meshcentral.com"): "maintenance",             # two windows cover it together
    ("srv-db-02.contoso.com", "meshcentral.com"): "suspicious",            # change was canceled; critical device
    ("ws-0409.contoso.com", "meshcentral.com"): "suspicious",              # suppression expired
    ("laptop-x9.contoso.com", "meshcentral.com"): "suspicious",            # nobody owns it -> high
    ("ws-0511.contoso.com", "meshcentral.com"): "suspicious",              # change is for ws-0511.fabrikam.com
    ("srv-app-09.contoso.com", "meshcentral.com"): "maintenance",          # change + suppression together
}

MESH_PROCESSES = ("meshagent64.exe", "MeshCentralAssistant.exe", "meshagent32.exe")
BENIGN = [
    ("chrome.exe", "Google LLC", "Google Chrome", ("www.google.com", "clients2.google.com", "github.com")),
    ("msedge.exe", "Microsoft Corporation", "Microsoft Edge", ("www.bing.com", "login.microsoftonline.com")),
    ("ms-teams.exe", "Microsoft Corporation", "Microsoft Teams", ("teams.microsoft.com", "statics.teams.cdn.office.net")),
    ("OneDrive.exe", "Microsoft Corporation", "Microsoft OneDrive", ("contoso-my.sharepoint.com", "onedrive.live.com")),
    ("svchost.exe", "Microsoft Corporation", "Microsoft Windows Operating System",
     ("settings-win.data.microsoft.com", "ctldl.windowsupdate.com")),
    ("MsSense.exe", "Microsoft Corporation", "Microsoft Defender for Endpoint",
     ("winatp-gw-eus.microsoft.com", "us-v20.events.data.microsoft.com")),
    ("AnyConnect.exe", "Cisco Systems, Inc.", "Cisco AnyConnect", ("vpn.contoso.com",)),
]
DEVICES = sorted({d for d, _ in EXPECTED} | {
    "ws-0101.contoso.com", "ws-0102.contoso.com", "ws-0188.contoso.com", "srv-file-01.contoso.com",
    "srv-web-03.contoso.com", "ws-0520.contoso.com",
})


def device_id(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()


class Rows:
    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.report_id = 4100

    def add(self, when: datetime, device: str, url: str, *, process: str, company: str, product: str,
            account: str = "system", ip: str = "", port: int = 443, action: str = "ConnectionSuccess") -> None:
        self.report_id += 1
        rnd = random.Random(self.report_id)
        self.rows.append({
            "Timestamp": when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "DeviceId": device_id(device),
            "DeviceName": device,
            "ActionType": action,
            "RemoteIP": ip or f"203.0.113.{rnd.randint(2, 250)}",
            "RemotePort": port,
            "RemoteUrl": url,
            "LocalIP": f"10.20.{rnd.randint(0, 30)}.{rnd.randint(2, 250)}",
            "LocalPort": rnd.randint(49152, 65535),
            "Protocol": "Tcp",
            "LocalIPType": "Private",
            "RemoteIPType": "Public" if not ip.startswith("10.") else "Private",
            "InitiatingProcessFileName": process,
            "InitiatingProcessFolderPath": f"c:\\program files\\{product.lower()}\\{process.lower()}",
            "InitiatingProcessSHA256": hashlib.sha256(process.encode()).hexdigest(),
            "InitiatingProcessVersionInfoCompanyName": company,
            "InitiatingProcessVersionInfoProductName": product,
            "InitiatingProcessId": rnd.randint(800, 40000),
            "InitiatingProcessCommandLine": f'"{process}"',
            "InitiatingProcessParentFileName": "services.exe",
            "InitiatingProcessAccountDomain": "contoso" if account != "system" else "nt authority",
            "InitiatingProcessAccountName": account,
            "InitiatingProcessIntegrityLevel": "System" if account == "system" else "Medium",
            "ReportId": self.report_id,
            "AdditionalFields": {},
        })

    def mesh(self, when: datetime, device: str, url: str = "meshcentral.com", **kw) -> None:
        kw.setdefault("process", "meshagent64.exe")
        self.add(when, device, url, company="MeshCentral", product="MeshCentral Agent", **kw)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment on 2026-11-<day> or 2026-12-<day - 30>, UTC."""
    return datetime(2026, 11, 1, tzinfo=timezone.utc) + timedelta(days=day - 1, hours=hour, minutes=minute)


def build_rows() -> list[dict]:
    rng = random.Random(7)
    rows = Rows()
    # Ordinary traffic: several hundred rows across the 5-day window (and a little before it).
    for _ in range(420):
        device = rng.choice(DEVICES)
        process, company, product, urls = rng.choice(BENIGN)
        when = AS_OF - timedelta(minutes=rng.randint(10, 6 * 24 * 60))
        rows.add(when, device, rng.choice(urls), process=process, company=company, product=product,
                 account=rng.choice(["alice", "bob", "carol", "system"]))

    # The real hit: an unsanctioned agent on a finance laptop, at night.
    for minute in (5, 17, 44):
        rows.mesh(at(32, 1, minute), "ws-0142.contoso.com", "relay7.meshcentral.com", account="alice")
    # FP 1: scheduled patching window (CHG0030001, short CI name).
    for hour in (21, 22):
        rows.mesh(at(31, hour, 10), "srv-patch-01.contoso.com", account="svc_patch")
    # FP 2: admin remote desktop (CHG0030002, window written in +05:30).
    for minute in (0, 25, 50):
        rows.mesh(at(32, 9, minute), "srv-app-07.contoso.com", process="MeshCentralAssistant.exe", account="admin")
    # FP 3: nightly asset inventory (SUP-0001).
    for day in (29, 30, 31, 32):
        rows.mesh(at(day, 2, 30), "srv-inv-01.contoso.com", account="svc_inventory")
    # FP 4: MeshCentral syncing compliance with Intune on kiosks (SUP-0002).
    for hour in (6, 12, 18):
        rows.mesh(at(31, hour), "ws-kiosk-03.contoso.com", "sync.meshcentral.com", account="svc_intune")
    # FP 5: network admin monitoring traffic through MeshCentral (SUP-0003, by CIDR and port).
    for hour in (8, 14):
        rows.mesh(at(30, hour), "srv-netmon-01.contoso.com", account="network_admin", ip="198.51.100.20", port=443)
    # Partial coverage: 3 inside CHG0030003, 2 after it.
    for hour in (10, 11, 12, 16, 17):
        rows.mesh(at(31, hour, 5), "ws-0217.contoso.com", account="dave")
    # Two approved windows that cover the activity only together.
    for hour in (9, 10, 13, 14):
        rows.mesh(at(30, hour, 30), "ws-0305.contoso.com", account="erin")
    # A canceled change does not explain anything; the device is critical.
    rows.mesh(at(32, 3, 3), "srv-db-02.contoso.com", account="svc_sql")
    # An expired suppression.
    rows.mesh(at(32, 15), "ws-0409.contoso.com", account="frank")
    # A device no inventory knows.
    rows.mesh(at(33, 8, 40), "laptop-x9.contoso.com", account="guest")
    # A change for a machine with the same host label in another domain.
    rows.mesh(at(31, 20), "ws-0511.contoso.com", account="gina")
    # One event inside a change, one matching a suppression: explained together.
    rows.mesh(at(30, 22), "srv-app-09.contoso.com", account="admin")
    rows.mesh(at(31, 4), "srv-app-09.contoso.com", account="svc_backup")

    # Near misses the seed query must not count (the KQL tests check each).
    rows.mesh(at(32, 11), "ws-0520.contoso.com", "notmeshcentral.com")            # `has` is a whole-term match
    rows.add(at(32, 11), "ws-0520.contoso.com", "meshcentral.com", process="mymesh.exe",
             company="Mymeshcentral", product="Mesh")                               # company is another term
    rows.mesh(at(27, 9), "ws-0520.contoso.com")                                       # older than 5 days
    rows.add(at(32, 12), "ws-0188.contoso.com", "mesh.example.org", process="meshagent64.exe",
             company="", product="MeshCentral Agent")                               # self-hosted: seed misses it
    return sorted(rows.rows, key=lambda r: (r["Timestamp"], r["ReportId"]))


INVENTORY = [
    # device_name, device_id, owner_upn, owner_name, team, criticality
    ("WS-0142", "", "alice@contoso.com", "Alice Martin", "Finance", "high"),
    ("SRV-PATCH-01", "", "it-ops@contoso.com", "IT Operations", "Infrastructure", "medium"),
    ("srv-app-07.contoso.com", device_id("srv-app-07.contoso.com"), "ravi@contoso.com", "Ravi Iyer", "Apps", "medium"),
    ("SRV-INV-01", "", "it-assets@contoso.com", "IT Asset Management", "Infrastructure", "low"),
    ("WS-KIOSK-03", "", "endpoint@contoso.com", "Endpoint Team", "Workplace", "low"),
    ("srv-netmon-01.contoso.com", "", "netops@contoso.com", "Network Operations", "Network", "medium"),
    ("WS-0217", "", "dave@contoso.com", "Dave Chen", "Sales", "medium"),
    ("WS-0305", "", "erin@contoso.com", "Erin Lopez", "Engineering", "medium"),
    ("SRV-DB-02", "", "dba@contoso.com", "Database Team", "Data", "critical"),
    ("WS-0409", "", "frank@contoso.com", "Frank Moore", "Legal", "medium"),
    ("WS-0511", "", "gina@contoso.com", "Gina Rossi", "Marketing", "low"),
    ("SRV-APP-09", "", "ravi@contoso.com", "Ravi Iyer", "Apps", "medium"),
    ("WS-0101", "", "bob@contoso.com", "Bob Stone", "Finance", "medium"),
    ("WS-0102", "", "carol@contoso.com", "Carol White", "HR", "medium"),
    ("WS-0188", "", "hank@contoso.com", "Hank Lee", "Engineering", "medium"),
    ("WS-0520", "", "ivy@contoso.com", "Ivy Park", "Support", "low"),
    ("srv-file-01.contoso.com", "", "it-ops@contoso.com", "IT Operations", "Infrastructure", "high"),
    ("srv-web-03.contoso.com", "", "web@contoso.com", "Web Team", "Apps", "high"),
]

CHANGES = [
    # number, short_description, state, approval, start_date, end_date, cmdb_ci, assignment_group
    ("CHG0030001", "Monthly patching of SRV-PATCH-01 via MeshCentral", "Scheduled", "approved",
     "2026-12-01T20:00:00Z", "2026-12-01T23:59:00Z", "SRV-PATCH-01", "Infrastructure"),
    ("CHG0030002", "Troubleshoot app pool crash on SRV-APP-07 (remote session)", "Implement", "approved",
     "2026-12-02T14:00:00+05:30", "2026-12-02T16:00:00+05:30", "srv-app-07.contoso.com", "Apps"),
    ("CHG0030003", "Reimage WS-0217 after disk failure", "Review", "approved",
     "2026-12-01 09:30:00", "2026-12-01 12:30:00", "WS-0217", "Service Desk"),
    ("CHG0030004", "Index rebuild on SRV-DB-02", "Canceled", "approved",
     "2026-12-02T02:00:00Z", "2026-12-02T04:00:00Z", "SRV-DB-02", "Data"),
    ("CHG0030005", "Upgrade engineering toolchain on WS-0305 (part 1)", "Closed", "approved",
     "2026-11-30T09:00:00Z", "2026-11-30T11:00:00Z", "WS-0305", "Service Desk"),
    ("CHG0030006", "Upgrade engineering toolchain on WS-0305 (part 2)", "Closed", "approved",
     "2026-11-30T13:00:00Z", "2026-11-30T15:00:00Z", "ws-0305.contoso.com", "Service Desk"),
    ("CHG0030007", "Laptop refresh for WS-0511", "Scheduled", "approved",
     "2026-12-01T19:00:00Z", "2026-12-01T21:00:00Z", "ws-0511.fabrikam.com", "Service Desk"),
    ("CHG0030008", "Remote maintenance on WS-0142", "Authorize", "requested",
     "2026-12-02T00:00:00Z", "2026-12-02T03:00:00Z", "WS-0142", "Service Desk"),
    ("CHG0030009", "Deploy hotfix to SRV-APP-09", "Closed", "approved",
     "2026-11-30T21:00:00Z", "2026-11-30T23:00:00Z", "SRV-APP-09", "Apps"),
    ("CHG0030010", "Firmware update on SRV-FILE-01", "New", "not requested",
     "2026-12-05T01:00:00Z", "2026-12-05T03:00:00Z", "SRV-FILE-01", "Infrastructure"),
    ("CHG0030011", "Certificate renewal on SRV-WEB-03", "Closed", "rejected",
     "2026-11-29T10:00:00Z", "2026-11-29T11:00:00Z", "SRV-WEB-03", "Apps"),
]

#: Defender DeviceInfo: who signs in where (servers run without interactive users, so Defender knows no owner).
LOGGED_ON = {
    "ws-0101.contoso.com": ("bob", "CONTOSO"), "ws-0102.contoso.com": ("carol", "CONTOSO"),
    "ws-0142.contoso.com": ("alice", "CONTOSO"), "ws-0188.contoso.com": ("ivy", "CONTOSO"),  # hank's PC, ivy signs in
    "ws-0217.contoso.com": ("dave", "CONTOSO"), "ws-0305.contoso.com": ("erin", "CONTOSO"),
    "ws-0409.contoso.com": ("frank", "CONTOSO"), "ws-0511.contoso.com": ("gina", "CONTOSO"),
    "ws-0520.contoso.com": ("ivy", "CONTOSO"), "ws-kiosk-03.contoso.com": ("kiosk", "WS-KIOSK-03"),
    "laptop-x9.contoso.com": ("guest", "LAPTOP-X9"),
}
ASSET_VALUE = {"low": "Low", "medium": "Normal", "high": "High", "critical": "High"}


def build_device_info() -> list[dict]:
    """A daily full report per device (with its signed-in users) and hourly heartbeats without them."""
    criticality = {name.lower(): crit for name, _, _, _, _, crit in INVENTORY}
    rows = []
    for n, device in enumerate(DEVICES):
        label = device.split(".")[0]
        server = label.startswith("srv-")
        user = LOGGED_ON.get(device)
        users = [{"UserName": user[0], "DomainName": user[1],
                  "Sid": f"S-1-5-21-1004336348-1177238915-682003330-{1100 + n}"}] if user else []
        common = {"DeviceId": device_id(device), "DeviceName": device,
                  "MachineGroup": "Servers" if server else "Workstations", "DeviceCategory": "Endpoint",
                  "DeviceType": "Server" if server else "Workstation",
                  "AssetValue": ASSET_VALUE.get(criticality.get(label, criticality.get(device, "")), "Normal")}
        for day in (30, 31, 32):
            rows.append({"Timestamp": at(day, 6, n).strftime("%Y-%m-%dT%H:%M:%SZ"), **common,
                         "OSPlatform": "WindowsServer2022" if server else "Windows11",
                         "OSBuild": 20348 if server else 22631, "OnboardingStatus": "Onboarded",
                         "IsAzureADJoined": not server, "JoinType": "Domain Joined" if server else "Hybrid Azure AD Join",
                         "AadDeviceId": "" if server else hashlib.md5(device.encode()).hexdigest(),
                         "LoggedOnUsers": users, "SensorHealthState": "Active", "ExposureLevel": "Medium"})
            for hour in (12, 18):
                rows.append({"Timestamp": at(day, hour, n).strftime("%Y-%m-%dT%H:%M:%SZ"), **common,
                             "LoggedOnUsers": [], "OnboardingStatus": "Onboarded"})
    return sorted(rows, key=lambda r: (r["Timestamp"], r["DeviceName"]))


SUPPRESSIONS = f"""\
# Approved exceptions. Each rule names its owner and expires; every `match` field must match an event.
- id: SUP-0001
  hunt: {HUNT_ID}
  reason: "Seed FP 3: nightly hardware/software inventory collected through MeshCentral"
  owner: it-assets@contoso.com
  expires: 2027-06-30
  match:
    device_name: "srv-inv-*"
    process_name: meshagent64.exe
    account_name: svc_inventory
    remote_port: [443]
- id: SUP-0002
  hunt: "*"
  reason: "Seed FP 4: MeshCentral syncs kiosk compliance state with Intune"
  owner: endpoint@contoso.com
  expires: 2027-03-31T00:00:00Z
  match:
    device_name: "ws-kiosk-*"
    remote_url: "sync.meshcentral.com"
    account_name: svc_intune
- id: SUP-0003
  hunt: {HUNT_ID}
  reason: "Seed FP 5: network operations monitor traffic through the MeshCentral relay"
  owner: netops@contoso.com
  expires: 2027-01-31
  match:
    account_name: network_admin
    remote_ip: [198.51.100.0/24]
    remote_port: [443, 80]
- id: SUP-0004
  hunt: {HUNT_ID}
  reason: "Pilot of MeshCentral on WS-0409 (ended)"
  owner: frank@contoso.com
  expires: 2026-11-30
  match:
    device_name: ws-0409
- id: SUP-0005
  hunt: {HUNT_ID}
  reason: "Nightly backup verification from SRV-APP-09 through MeshCentral"
  owner: it-ops@contoso.com
  expires: 2027-12-31
  match:
    device_name: srv-app-09.contoso.com
    account_name: svc_backup
- id: SUP-0006
  hunt: 7306e156-49a7-4ff6-9d8f-d6e6d531e426
  reason: "MeshCentral installer runs on WS-0217 (process hunt only)"
  owner: dave@contoso.com
  expires: 2027-12-31
  match:
    device_name: ws-0217
"""


def main() -> None:
    (OUT / "tables").mkdir(parents=True, exist_ok=True)
    with (OUT / "tables" / "DeviceNetworkEvents.jsonl").open("w", encoding="utf-8") as handle:
        for row in build_rows():
            handle.write(json.dumps(row) + "\n")
    with (OUT / "tables" / "DeviceInfo.jsonl").open("w", encoding="utf-8") as handle:
        for row in build_device_info():
            handle.write(json.dumps(row) + "\n")
    with (OUT / "inventory.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["device_name", "device_id", "owner_upn", "owner_name", "team", "criticality"])
        writer.writerows(INVENTORY)
    with (OUT / "changes.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["number", "short_description", "state", "approval", "start_date", "end_date",
                         "cmdb_ci", "assignment_group"])
        writer.writerows(CHANGES)
    (OUT / "suppressions.yaml").write_text(SUPPRESSIONS, encoding="utf-8")
    (OUT / "workspace.yaml").write_text(
        "# The moment this sample was captured: `python -m hunting run` uses it as the default --now.\n"
        f"as_of: {AS_OF.strftime('%Y-%m-%dT%H:%M:%SZ')}\n", encoding="utf-8")
    expected = [{"device_name": d, "remote_url": u, "verdict": v} for (d, u), v in sorted(EXPECTED.items())]
    (OUT / "expected.json").write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
