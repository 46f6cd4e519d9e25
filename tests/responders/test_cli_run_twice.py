"""Done-when of issue 5: two consecutive ``python -m hunting run`` over the sample send each suspicious finding once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hunting.cli import main
from responders.state import record_id
from responders.notify import finding_uuid
from tests.fakes.credential import StaticTokenCredential

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "workspace"


@pytest.fixture
def configured(monkeypatch, tmp_path, teams, sentinel, servicenow):
    monkeypatch.setattr("hunting.credentials.default_credential", lambda: StaticTokenCredential())
    for name, value in {
        "HUNT_RESPONDERS": "sentinel,servicenow,teams",
        "HUNT_STATE_PATH": str(tmp_path / "state.sqlite"),
        "HUNT_TEAMS_WEBHOOK_URL": teams.webhook_url,
        "HUNT_SENTINEL_SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000000001",
        "HUNT_SENTINEL_RESOURCE_GROUP": "rg-soc", "HUNT_SENTINEL_WORKSPACE": "law-soc",
        "HUNT_SENTINEL_ARM_ENDPOINT": sentinel.url,
        "SERVICENOW_INSTANCE_URL": servicenow.url, "SERVICENOW_USERNAME": "hunter", "SERVICENOW_PASSWORD": "s3cret",
        "HUNT_HTTP_RETRY_ATTEMPTS": "2", "HUNT_HTTP_TIMEOUT": "5",
    }.items():
        monkeypatch.setenv(name, value)
    return tmp_path


def _run(output: Path) -> list[dict]:
    assert main(["run", "--workspace", str(SAMPLE), "--output", str(output)]) == 0
    return [json.loads(line) for line in output.read_text().splitlines()]


def test_two_runs_over_the_sample_send_each_suspicious_finding_once(configured, teams, sentinel, servicenow) -> None:
    findings = _run(configured / "first.jsonl")
    suspicious = [f for f in findings if f["verdict"] == "suspicious"]
    keys = [(f["hunt_id"], f["device_id"], f["remote_url"]) for f in suspicious]
    assert len(keys) == 6

    assert set(sentinel.incidents) == {str(finding_uuid(k)) for k in keys}
    assert sorted(i["correlation_id"] for i in servicenow.incidents()) == sorted(str(finding_uuid(k)) for k in keys)
    assert len(teams.cards) == 6
    assert sorted(teams.element_ids()) == sorted(f"finding-{record_id(k)[:16]}" for k in keys)
    for card in teams.cards:  # incident responders ran first, so each card links both incidents
        titles = [a["title"] for a in card["actions"]]
        assert titles[0] == "Defender device page"
        assert titles[1].startswith("Open Sentinel incident ") and titles[2].startswith("Open ServiceNow INC")

    requests_after_first = (len(teams.requests), sentinel.calls_total, servicenow.calls_total)
    assert _run(configured / "second.jsonl") == findings
    assert (len(teams.requests), sentinel.calls_total, servicenow.calls_total) == requests_after_first
    assert len(teams.cards) == 6 and len(sentinel.incidents) == 6 and len(servicenow.incidents()) == 6
