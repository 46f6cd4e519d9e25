"""Hunt definitions: the seed verbatim, and every kind of bad file reported by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from hunting.errors import InputError
from hunting.hunts import load_hunts, select_hunts

ROOT = Path(__file__).resolve().parents[2]
VALID = """\
id: {id}
name: Test hunt
description: test
requiredDataConnectors:
  - connectorId: MicrosoftThreatProtection
    dataTypes:
      - DeviceNetworkEvents
tactics: CommandAndControl
relevantTechniques: T1219
query: |
  DeviceNetworkEvents
  | where Timestamp > ago(1d)
  | summarize FirstSeen=min(Timestamp), LastSeen=max(Timestamp), Count=count() by DeviceId, DeviceName
"""


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(exist_ok=True)
    path = directory / name
    path.write_text(text)
    return path


def test_seed_hunt_is_the_sentinel_query_verbatim():
    seed = next(h for h in load_hunts() if h.id == "fd366644-9bb6-4c00-870c-526ba9186270")
    assert seed.name == "Remote Management and Monitoring tool - MeshCentral - Network Connection"
    assert seed.tables == ("DeviceNetworkEvents",)
    assert seed.tactics == ("CommandAndControl",) and seed.techniques == ("T1219",)
    assert "| where RemoteUrl has 'meshcentral.com'\nand InitiatingProcessVersionInfoCompanyName has 'meshcentral'" in seed.query
    assert seed.query.startswith("let Time_start = now(-5d);\nlet Time_end = now();\n//\nDeviceNetworkEvents\n")
    assert seed.severity.value == "medium"


def test_valid_file_loads(tmp_path):
    write(tmp_path, "a.yaml", VALID.format(id="h-1"))
    (hunt,) = load_hunts(tmp_path)
    assert hunt.id == "h-1" and hunt.group_by == ("DeviceId", "DeviceName")


@pytest.mark.parametrize("mutate, message", [
    (lambda t: t.replace("name: Test hunt\n", ""), "missing required field(s): name"),
    (lambda t: t.replace("  | where Timestamp > ago(1d)", "  | wherex"), "query does not parse"),
    (lambda t: t.replace("  | where Timestamp > ago(1d)", "  | where Timestamp > ago(1d)\n  | evaluate bag_unpack(x)"),
     "query uses KQL the local engine cannot run"),
    (lambda t: t.replace("by DeviceId, DeviceName", "by DeviceName"), "summarize must be by DeviceId"),
    (lambda t: t + "severity: urgent\n", "unknown severity 'urgent'"),
    (lambda t: t.replace("ago(1d)", "datetime(2026-01-01)"), "add 'lookback: 5d'"),
    (lambda t: t.replace("tactics:", "tactics: [\n"), "invalid YAML"),
])
def test_bad_hunt_files_are_reported_by_name(tmp_path, mutate, message):
    path = write(tmp_path, "bad.yaml", mutate(VALID.format(id="h-1")))
    with pytest.raises(InputError) as caught:
        load_hunts(tmp_path)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)


def test_duplicate_ids_are_refused(tmp_path):
    write(tmp_path, "a.yaml", VALID.format(id="same"))
    write(tmp_path, "b.yaml", VALID.format(id="same"))
    with pytest.raises(InputError, match="duplicate hunt id same .also in a.yaml"):
        load_hunts(tmp_path)


def test_explicit_lookback_and_severity(tmp_path):
    text = VALID.format(id="h-1").replace("ago(1d)", "datetime(2026-01-01)") + "lookback: P14D\nseverity: high\n"
    write(tmp_path, "a.yaml", text)
    (hunt,) = load_hunts(tmp_path)
    assert hunt.lookback.days == 14 and hunt.severity.value == "high"


def test_select_unknown_id_lists_known_ones(tmp_path):
    write(tmp_path, "a.yaml", VALID.format(id="h-1"))
    with pytest.raises(InputError, match="unknown hunt id 'x'; known: h-1"):
        select_hunts(load_hunts(tmp_path), ["x"])
