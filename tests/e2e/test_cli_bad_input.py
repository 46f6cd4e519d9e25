"""A user mistake gives one line naming the file (and line) and exit 2, never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hunting.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "workspace"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    target = tmp_path / "ws"
    shutil.copytree(SAMPLE, target)
    return target


def run_cli(capsys, *args: str) -> tuple[int, str]:
    code = main(["run", *args])
    err = capsys.readouterr().err.strip()
    return code, err


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err


def test_missing_table_file(workspace, capsys):
    (workspace / "tables" / "DeviceNetworkEvents.jsonl").unlink()
    code, err = run_cli(capsys, "--workspace", str(workspace))
    assert_one_line_error(code, err, "tables", "missing table DeviceNetworkEvents", "DeviceNetworkEvents.jsonl")


def test_malformed_jsonl_row_names_the_line(workspace, capsys):
    table = workspace / "tables" / "DeviceNetworkEvents.jsonl"
    lines = table.read_text().splitlines()
    lines[41] = lines[41][:-5]
    table.write_text("\n".join(lines) + "\n")
    code, err = run_cli(capsys, "--workspace", str(workspace))
    assert_one_line_error(code, err, "DeviceNetworkEvents.jsonl:42:", "malformed JSON")


def test_invalid_date_in_a_table_names_the_line(workspace, capsys):
    table = workspace / "tables" / "DeviceNetworkEvents.jsonl"
    lines = table.read_text().splitlines()
    lines[9] = lines[9].replace('"Timestamp": "2026', '"Timestamp": "yesterday 2026', 1)
    table.write_text("\n".join(lines) + "\n")
    code, err = run_cli(capsys, "--workspace", str(workspace))
    assert_one_line_error(code, err, "DeviceNetworkEvents.jsonl:10:", "column Timestamp", "invalid date")


def test_malformed_csv_table_row_names_the_line(workspace, capsys):
    (workspace / "tables" / "DeviceNetworkEvents.jsonl").unlink()
    (workspace / "tables" / "DeviceNetworkEvents.csv").write_text(
        "Timestamp,DeviceId,DeviceName,RemoteUrl\n2026-12-02T01:00:00Z,d1,ws-1,meshcentral.com\n2026-12-02T02:00:00Z,d1\n")
    code, err = run_cli(capsys, "--workspace", str(workspace))
    assert_one_line_error(code, err, "DeviceNetworkEvents.csv:3:", "expected 4 fields, found 2")


def test_malformed_inventory_row(workspace, capsys):
    with (workspace / "inventory.csv").open("a") as handle:
        handle.write("WS-9999,,someone@contoso.com\n")
    line = len((workspace / "inventory.csv").read_text().splitlines())
    code, err = run_cli(capsys, "--workspace", str(workspace))
    assert_one_line_error(code, err, f"inventory.csv:{line}:", "expected 6 fields, found 3")


def test_invalid_date_in_changes(workspace, capsys):
    with (workspace / "changes.csv").open("a") as handle:
        handle.write("CHG0039999,x,Scheduled,approved,2026-13-45T00:00:00Z,2026-12-02T00:00:00Z,WS-0142,IT\n")
    line = len((workspace / "changes.csv").read_text().splitlines())
    code, err = run_cli(capsys, "--workspace", str(workspace))
    assert_one_line_error(code, err, f"changes.csv:{line}:", "start_date", "invalid date")


def test_unknown_change_state(workspace, capsys):
    with (workspace / "changes.csv").open("a") as handle:
        handle.write("CHG0039999,x,Done,approved,2026-12-01T00:00:00Z,2026-12-02T00:00:00Z,WS-0142,IT\n")
    code, err = run_cli(capsys, "--workspace", str(workspace))
    assert_one_line_error(code, err, "changes.csv:", "state must be one of")


def test_invalid_yaml_names_the_line(workspace, capsys):
    (workspace / "suppressions.yaml").write_text("- id: SUP-1\n  hunt: '*'\n  match: [unclosed\n")
    code, err = run_cli(capsys, "--workspace", str(workspace))
    assert_one_line_error(code, err, "suppressions.yaml:", "invalid YAML")


def test_rule_with_bad_cidr_names_the_rule_line(workspace, capsys):
    (workspace / "suppressions.yaml").write_text(
        "- id: SUP-1\n  hunt: '*'\n  reason: r\n  owner: o\n  expires: 2027-01-01\n  match: {remote_ip: [10.0.0.0/33]}\n")
    code, err = run_cli(capsys, "--workspace", str(workspace))
    assert_one_line_error(code, err, "suppressions.yaml:1:", "remote_ip")


def test_rule_with_invalid_expiry(workspace, capsys):
    (workspace / "suppressions.yaml").write_text(
        "- id: SUP-1\n  hunt: '*'\n  reason: r\n  owner: o\n  expires: someday\n  match: {account_name: x}\n")
    code, err = run_cli(capsys, "--workspace", str(workspace))
    assert_one_line_error(code, err, "suppressions.yaml:1:", "expires", "invalid date")


def test_invalid_now(workspace, capsys):
    code, err = run_cli(capsys, "--workspace", str(workspace), "--now", "2026-12-32")
    assert_one_line_error(code, err, "--now", "invalid date")


def test_invalid_as_of_in_workspace_manifest(workspace, capsys):
    (workspace / "workspace.yaml").write_text("as_of: last tuesday\n")
    code, err = run_cli(capsys, "--workspace", str(workspace))
    assert_one_line_error(code, err, "workspace.yaml", "as_of")


def test_unknown_hunt_id(workspace, capsys):
    code, err = run_cli(capsys, "--workspace", str(workspace), "--hunt", "nope")
    assert_one_line_error(code, err, "unknown hunt id 'nope'", "fd366644-9bb6-4c00-870c-526ba9186270")


def test_workspace_that_does_not_exist(tmp_path, capsys):
    code, err = run_cli(capsys, "--workspace", str(tmp_path / "nowhere"))
    assert_one_line_error(code, err, "nowhere", "not a directory")


def test_workspace_without_tables_directory(workspace, capsys):
    shutil.rmtree(workspace / "tables")
    (workspace / "tables").write_text("not a folder")
    code, err = run_cli(capsys, "--workspace", str(workspace))
    assert_one_line_error(code, err, "no tables/ directory")


def test_unreadable_table_file(workspace, capsys):
    table = workspace / "tables" / "DeviceNetworkEvents.jsonl"
    table.write_bytes(b"\xff\xfe\x00garbage")
    code, err = run_cli(capsys, "--workspace", str(workspace))
    assert_one_line_error(code, err, "DeviceNetworkEvents.jsonl", "not UTF-8")


def test_unknown_setting_is_named(workspace, capsys, monkeypatch):
    monkeypatch.setenv("HUNT_WORKSPAC", str(workspace))
    code, err = run_cli(capsys, "--workspace", str(workspace))
    assert_one_line_error(code, err, "unknown setting HUNT_WORKSPAC", "did you mean HUNT_WORKSPACE")


def test_output_into_missing_directory(workspace, tmp_path, capsys):
    code, err = run_cli(capsys, "--workspace", str(workspace), "--output", str(tmp_path / "no" / "f.jsonl"))
    assert_one_line_error(code, err, "--output")
