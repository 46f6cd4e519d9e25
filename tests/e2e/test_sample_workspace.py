"""End to end: the CLI on samples/workspace gives the verdicts the sample was built to show."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from hunting.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "workspace"
FINDING_KEYS = {"hunt_id", "hunt_name", "device_id", "device_name", "remote_url", "first_seen", "last_seen", "count",
                "report_ids", "verdict", "severity", "owner", "change_tickets", "suppression_ids", "reasons"}
UTC_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def run_to_file(tmp_path: Path, *extra: str) -> list[dict]:
    output = tmp_path / "f.jsonl"
    assert main(["run", "--workspace", str(SAMPLE), "--output", str(output), *extra]) == 0
    return [json.loads(line) for line in output.read_text().splitlines()]


def test_every_finding_has_the_verdict_the_sample_was_built_to_show(tmp_path):
    findings = run_to_file(tmp_path)
    expected = json.loads((SAMPLE / "expected.json").read_text())
    got = sorted((f["device_name"], f["remote_url"], f["verdict"]) for f in findings)
    assert got == sorted((e["device_name"], e["remote_url"], e["verdict"]) for e in expected)
    assert {f["verdict"] for f in findings} == {"suspicious", "maintenance", "suppressed"}


def test_findings_have_the_design_shape(tmp_path):
    for finding in run_to_file(tmp_path):
        assert set(finding) == FINDING_KEYS
        assert finding["hunt_id"] == "fd366644-9bb6-4c00-870c-526ba9186270"
        assert UTC_Z.match(finding["first_seen"]) and UTC_Z.match(finding["last_seen"])
        assert finding["count"] == len(finding["report_ids"])
        assert finding["reasons"], finding
        assert finding["change_tickets"] == sorted(finding["change_tickets"])
        assert finding["suppression_ids"] == sorted(finding["suppression_ids"])
        if finding["owner"] is not None:
            assert set(finding["owner"]) == {"upn", "name", "team", "source"}
        if finding["verdict"] != "suspicious":
            assert finding["severity"] == "informational"


def test_the_five_seed_false_positive_scenarios_are_explained(tmp_path):
    by_device = {f["device_name"]: f for f in run_to_file(tmp_path)}
    assert by_device["srv-patch-01.contoso.com"]["change_tickets"] == ["CHG0030001"]   # scheduled maintenance
    assert by_device["srv-app-07.contoso.com"]["change_tickets"] == ["CHG0030002"]     # admin remote desktop
    assert by_device["srv-inv-01.contoso.com"]["suppression_ids"] == ["SUP-0001"]      # asset inventory
    assert by_device["ws-kiosk-03.contoso.com"]["suppression_ids"] == ["SUP-0002"]     # Intune sync
    assert by_device["srv-netmon-01.contoso.com"]["suppression_ids"] == ["SUP-0003"]   # network monitoring


def test_suspicious_findings_say_why(tmp_path):
    by_device = {f["device_name"]: f for f in run_to_file(tmp_path)}
    partial = by_device["ws-0217.contoso.com"]
    assert partial["change_tickets"] == ["CHG0030003"]
    assert partial["reasons"][0].startswith("2 of 5 connections outside CHG0030003 window")
    assert by_device["laptop-x9.contoso.com"]["owner"] is None
    assert by_device["laptop-x9.contoso.com"]["severity"] == "high"
    assert by_device["srv-db-02.contoso.com"]["severity"] == "high"
    assert any("expired" in r for r in by_device["ws-0409.contoso.com"]["reasons"])


def test_now_defaults_to_the_sample_capture_time(tmp_path):
    pinned = run_to_file(tmp_path, "--now", "2026-12-03T12:00:00Z")
    assert run_to_file(tmp_path) == pinned
    # A week later the 5-day window holds none of the sample's MeshCentral traffic.
    assert run_to_file(tmp_path, "--now", "2026-12-10T12:00:00Z") == []


def test_hunt_filter_runs_only_that_hunt(tmp_path):
    findings = run_to_file(tmp_path, "--hunt", "fd366644-9bb6-4c00-870c-526ba9186270")
    assert len(findings) == len(json.loads((SAMPLE / "expected.json").read_text()))


def test_module_entry_point_prints_the_table_with_all_three_verdicts():
    done = subprocess.run([sys.executable, "-m", "hunting", "run", "--workspace", str(SAMPLE)],
                          capture_output=True, text=True, cwd=ROOT, env={"COLUMNS": "200", "PATH": ""}, timeout=120)
    assert done.returncode == 0, done.stderr
    for word in ("suspicious", "maintenance", "suppressed", "ws-0142.contoso.com", "CHG0030001", "SUP-0001"):
        assert word in done.stdout
    assert done.stderr.strip().startswith("run hunts=1 hits=13 suspicious=6 maintenance=4 suppressed=3")


def test_list_shows_the_seed_hunt(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "fd366644-9bb6-4c00-870c-526ba9186270" in out and "DeviceNetworkEvents" in out and "T1219" in out


def test_validate_checks_hunts_and_the_workspace_files(capsys, tmp_path):
    assert main(["validate", "--workspace", str(SAMPLE)]) == 0
    assert "workspace" in capsys.readouterr().out
    broken = tmp_path / "ws"
    import shutil

    shutil.copytree(SAMPLE, broken)
    (broken / "inventory.csv").write_text("device_name,device_id,owner_upn,owner_name,team,criticality\nWS-1,,a,b,c,severe\n")
    assert main(["validate", "--workspace", str(broken)]) == 2
    assert "inventory.csv:2: criticality must be one of" in capsys.readouterr().err
