"""The seed hunt's KQL semantics on crafted rows, run locally on DuckDB like `make run` does."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from hunting.hunts import load_hunts
from hunting.sources.local import LocalQuerySource
from tests.conftest import write_jsonl

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)
SEED = next(h for h in load_hunts() if h.id == "fd366644-9bb6-4c00-870c-526ba9186270")


def run_seed(tmp_path, *rows: dict) -> list[dict]:
    full = [{"Timestamp": "2026-12-03T10:00:00Z", "DeviceId": f"d{i}", "DeviceName": f"ws-{i}.contoso.com",
             "ReportId": i, **row} for i, row in enumerate(rows)]
    write_jsonl(tmp_path / "tables" / "DeviceNetworkEvents.jsonl", full)
    source = LocalQuerySource(tmp_path / "tables")
    return source.query(SEED.query, tables=SEED.tables, now=NOW, timespan=SEED.lookback).records()


def mesh(url: str, company: str = "MeshCentral", **extra) -> dict:
    return {"RemoteUrl": url, "InitiatingProcessVersionInfoCompanyName": company, **extra}


@pytest.mark.parametrize("url", ["meshcentral.com", "relay7.meshcentral.com", "MESHCENTRAL.COM",
                                 "https://meshcentral.com/agent.ashx", "wss://meshcentral.com:443/agent.ashx"])
def test_has_matches_the_domain_as_whole_terms(tmp_path, url):
    assert [r["RemoteUrl"] for r in run_seed(tmp_path, mesh(url))] == [url]


@pytest.mark.parametrize("url", ["notmeshcentral.com", "meshcentral.community", "meshcentralxcom.net",
                                 "mesh.example.org", ""])
def test_has_does_not_match_inside_a_longer_term(tmp_path, url):
    assert run_seed(tmp_path, mesh(url)) == []


@pytest.mark.parametrize("company", ["MeshCentral", "meshcentral", "MESHCENTRAL", "MeshCentral Project",
                                     "Open Source (MeshCentral)"])
def test_company_name_variants_that_match(tmp_path, company):
    assert len(run_seed(tmp_path, mesh("meshcentral.com", company))) == 1


@pytest.mark.parametrize("company", ["Mymeshcentral", "MeshCentralX", "Mesh Central", "", None])
def test_company_name_variants_that_do_not_match(tmp_path, company):
    assert run_seed(tmp_path, mesh("meshcentral.com", company)) == []


def test_five_day_window_is_pinned_to_now_and_inclusive(tmp_path):
    rows = run_seed(
        tmp_path,
        mesh("meshcentral.com", Timestamp="2026-11-28T12:00:00Z"),       # exactly now(-5d): inside
        mesh("meshcentral.com", Timestamp="2026-11-28T11:59:59Z"),       # just before: outside
        mesh("meshcentral.com", Timestamp="2026-12-03T12:00:00Z"),       # exactly now: inside
        mesh("meshcentral.com", Timestamp="2026-12-03T12:00:01Z"),       # the future: outside
        mesh("meshcentral.com", Timestamp="2026-12-01T10:00:00+05:30"),  # offsets are honoured
    )
    assert sorted(r["DeviceName"] for r in rows) == ["ws-0.contoso.com", "ws-2.contoso.com", "ws-4.contoso.com"]


def test_summarize_groups_by_device_and_url_with_first_last_count_and_reports(tmp_path):
    rows = run_seed(
        tmp_path,
        mesh("meshcentral.com", DeviceId="d", DeviceName="ws-1", Timestamp="2026-12-02T01:00:00Z", ReportId=7),
        mesh("meshcentral.com", DeviceId="d", DeviceName="ws-1", Timestamp="2026-12-02T03:00:00Z", ReportId=9),
        mesh("relay.meshcentral.com", DeviceId="d", DeviceName="ws-1", Timestamp="2026-12-02T02:00:00Z", ReportId=8),
    )
    by_url = {r["RemoteUrl"]: r for r in rows}
    assert by_url["meshcentral.com"]["Count"] == 2
    assert by_url["meshcentral.com"]["FirstSeen"] == datetime(2026, 12, 2, 1, tzinfo=timezone.utc)
    assert by_url["meshcentral.com"]["LastSeen"] == datetime(2026, 12, 2, 3, tzinfo=timezone.utc)
    assert sorted(by_url["meshcentral.com"]["Report"]) == [7, 9]
    assert by_url["relay.meshcentral.com"]["Count"] == 1
