"""End to end: ``python -m hunting run`` on the sample, enriching from all four sources behind the fakes.

The sample's change calendar is loaded into the fake ServiceNow as
change_request records (state codes, UTC strings, CI references), so the
sample's expected verdicts must come out the same as from ``changes.csv``.
Owners are spread over the chain: inventory knows most devices, Defender the
signed-in users of some it lacks, Intune one more, the CMDB a server.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from enrichment.servicenow_changes import STATES
from hunting.cli import main
from hunting.servicenow import utc_query_time
from hunting.timeparse import parse_moment
from tests.fakes.credential import StaticTokenCredential
from tests.fakes.graph import FakeGraph
from tests.fakes.servicenow import FakeServiceNow

from .conftest import FAST_RETRIES

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "workspace"
NOT_IN_INVENTORY = {"WS-0142", "WS-0217", "SRV-DB-02", "WS-0511"}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """The sample, with four devices missing from inventory and ws-0511 unknown to Defender."""
    root = tmp_path / "ws"
    shutil.copytree(SAMPLE, root)
    lines = (SAMPLE / "inventory.csv").read_text().splitlines(keepends=True)
    (root / "inventory.csv").write_text("".join(l for l in lines if l.split(",")[0] not in NOT_IN_INVENTORY))
    info = (SAMPLE / "tables" / "DeviceInfo.jsonl").read_text().splitlines(keepends=True)
    (root / "tables" / "DeviceInfo.jsonl").write_text("".join(l for l in info if "ws-0511" not in l))
    return root


def load_change_calendar(snow: FakeServiceNow) -> None:
    codes = {name: code for code, name in STATES.items()}
    cis: dict[str, str] = {}
    with (SAMPLE / "changes.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            ci = row["cmdb_ci"]
            if ci not in cis:  # an FQDN-named calendar entry becomes a CI with a short name and an fqdn
                cis[ci] = snow.add("cmdb_ci_computer", name=ci.split(".")[0].upper(), fqdn=ci if "." in ci else "")
            snow.add("change_request", number=row["number"], short_description=row["short_description"],
                     state=codes[row["state"]], approval=row["approval"], cmdb_ci=cis[ci],
                     assignment_group=snow.add("sys_user_group", name=row["assignment_group"]),
                     start_date=utc_query_time(parse_moment(row["start_date"])),
                     end_date=utc_query_time(parse_moment(row["end_date"])))


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch):
    with FakeServiceNow() as snow, FakeGraph() as graph:
        load_change_calendar(snow)
        dba = snow.add("sys_user", name="Database Team", email="dba@contoso.com")
        snow.add("cmdb_ci_computer", name="srv-db-02.contoso.com", assigned_to=dba)
        dave = snow.add("sys_user", name="Dave Chen", email="dave@contoso.com")
        snow.add("cmdb_ci_computer", name="WS-0217", assigned_to=dave)
        graph.add_device("WS-0511", "gina@contoso.com", "Gina Rossi")
        graph.add_device("WS-0142", "bob@contoso.com", "Bob Stone")  # disagrees with Defender
        env = {**FAST_RETRIES, "HUNT_OWNERSHIP_SOURCES": "inventory,defender,intune,servicenow",
               "HUNT_CHANGE_SOURCES": "servicenow", "SERVICENOW_INSTANCE_URL": snow.url,
               "SERVICENOW_USERNAME": snow.username, "SERVICENOW_PASSWORD": snow.password,
               "HUNT_GRAPH_ENDPOINT": f"{graph.url}/v1.0"}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr("hunting.credentials.default_credential", lambda: StaticTokenCredential())
        yield snow, graph


def run(workspace: Path, tmp_path: Path) -> dict[str, dict]:
    output = tmp_path / "findings.jsonl"
    main(["run", "--workspace", str(workspace), "--output", str(output)])
    return {f["device_name"]: f for f in map(json.loads, output.read_text().splitlines())}


def test_run_enriches_from_all_four_sources(workspace, services, tmp_path):
    snow, graph = services
    findings = run(workspace, tmp_path)
    sources = {name: (f["owner"] or {}).get("source") for name, f in findings.items()}
    assert sources["srv-patch-01.contoso.com"] == "inventory"
    assert sources["ws-0142.contoso.com"] == sources["ws-0217.contoso.com"] == "defender"
    assert findings["ws-0142.contoso.com"]["owner"]["name"] == "CONTOSO\\alice"
    assert sources["ws-0511.contoso.com"] == "intune"
    assert findings["ws-0511.contoso.com"]["owner"]["upn"] == "gina@contoso.com"
    assert sources["srv-db-02.contoso.com"] == "servicenow"
    assert "owner per intune is bob@contoso.com (kept defender: CONTOSO\\alice)" in \
        findings["ws-0142.contoso.com"]["reasons"]
    assert not any("owner per servicenow" in r for r in findings["ws-0217.contoso.com"]["reasons"])  # same person
    # one ServiceNow call per source (CMDB, changes), one Graph batch for the run
    assert snow.calls_total == 2 and graph.calls_total == 1


def test_changes_from_servicenow_give_the_sample_verdicts(workspace, services, tmp_path):
    findings = run(workspace, tmp_path)
    expected = json.loads((SAMPLE / "expected.json").read_text())
    assert {(e["device_name"], e["verdict"]) for e in expected} == {(n, f["verdict"]) for n, f in findings.items()}
    assert findings["srv-app-07.contoso.com"]["change_tickets"] == ["CHG0030002"]  # +05:30 window, stored in UTC
    assert findings["ws-0511.contoso.com"]["verdict"] == "suspicious"  # CI is ws-0511.fabrikam.com


def test_servicenow_down_leaves_explained_findings_suspicious_with_the_reason(workspace, services, tmp_path):
    snow, _ = services
    snow.fail_next(503, headers={"Retry-After": "0"}, times=100)
    findings = run(workspace, tmp_path)
    patched = findings["srv-patch-01.contoso.com"]
    assert patched["verdict"] == "suspicious"
    assert any("change source servicenow" in r for r in patched["reasons"])
    assert any("ownership source servicenow" in r for r in patched["reasons"])
    assert patched["owner"]["source"] == "inventory"  # the other sources still answered
