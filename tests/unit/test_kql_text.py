"""Cutting a hunt's KQL at its final summarize, and the drill-down built from it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hunting import kql
from hunting.hits import find_hits
from hunting.hunts import load_hunts
from hunting.sources.local import LocalQuerySource
from tests.conftest import write_jsonl

SEED = next(h for h in load_hunts() if h.id == "fd366644-9bb6-4c00-870c-526ba9186270")


def test_final_operator_ignores_pipes_and_by_inside_strings_comments_and_brackets():
    query = (
        "let x = 'a | summarize by Fake';\n"
        "T // | summarize by Commented\n"
        "| where Url has @'x|y' and Name == \"by | me\"\n"
        "| extend s = strcat('|', tostring(pack_array(1, 2)))\n"
        "| summarize n = count(), k = make_set(iff(a, 'by', 'x')) by DeviceId, DeviceName"
    )
    pipeline = kql.split_final_operator(query)
    assert pipeline.final_operator.startswith("summarize n = count()")
    assert pipeline.prefix.endswith("| extend s = strcat('|', tostring(pack_array(1, 2)))")
    assert kql.summarize_group_by(query) == ("DeviceId", "DeviceName")


def test_seed_query_groups_by_device_and_url():
    assert kql.summarize_group_by(SEED.query) == ("DeviceId", "DeviceName", "RemoteUrl")


@pytest.mark.parametrize("query, message", [
    ("T | where x == 1", "must end with '| summarize"),
    ("T | summarize count()", "no 'by' clause"),
    ("T | summarize count() by bin(Timestamp, 1h)", "plain columns"),
    ("T", "no '|' operator"),
])
def test_queries_without_a_usable_final_summarize_are_refused(query, message):
    with pytest.raises(ValueError, match=message):
        kql.summarize_group_by(query)


def test_lookback_is_the_furthest_now_or_ago():
    assert kql.lookback(SEED.query) == timedelta(days=5)
    assert kql.lookback("T | where Timestamp > ago(12h) or Timestamp > now(-2d)") == timedelta(days=2)
    assert kql.lookback("T | where Name == 'ago(30d)'") is None


def test_string_literal_escapes_quotes_and_backslashes():
    assert kql.string_literal("a'b\\c\n") == "'a\\'b\\\\c\\n'"


def test_drilldown_keeps_the_hunt_filters_and_restricts_to_devices():
    text = kql.drilldown_query(SEED.query, device_ids=["b", "a'x", "b"], group_by=SEED.group_by,
                               between=(datetime(2026, 12, 1, tzinfo=timezone.utc),
                                        datetime(2026, 12, 2, tzinfo=timezone.utc)))
    assert "summarize" not in text
    assert "| where RemoteUrl has 'meshcentral.com'" in text
    assert "| where DeviceId in ('a\\'x', 'b')" in text
    assert "datetime(2026-12-01T00:00:00.000000Z) .. datetime(2026-12-02T00:00:00.000000Z)" in text
    assert text.rstrip().endswith("InitiatingProcessAccountName, ReportId")


def test_drilldown_returns_exactly_the_events_each_hit_counted(tmp_path):
    base = {"InitiatingProcessVersionInfoCompanyName": "MeshCentral", "InitiatingProcessFileName": "meshagent64.exe"}
    rows = [
        {**base, "Timestamp": "2026-12-02T01:00:00Z", "DeviceId": "d1", "DeviceName": "ws-1", "RemoteUrl": "meshcentral.com", "ReportId": 1},
        {**base, "Timestamp": "2026-12-02T02:00:00Z", "DeviceId": "d1", "DeviceName": "ws-1", "RemoteUrl": "meshcentral.com", "ReportId": 2},
        {**base, "Timestamp": "2026-12-02T03:00:00Z", "DeviceId": "d1", "DeviceName": "ws-1", "RemoteUrl": "relay.meshcentral.com", "ReportId": 3},
        # Same device, traffic the hunt does not count: other URL, too old, other company.
        {**base, "Timestamp": "2026-12-02T04:00:00Z", "DeviceId": "d1", "DeviceName": "ws-1", "RemoteUrl": "example.org", "ReportId": 4},
        {**base, "Timestamp": "2026-11-20T04:00:00Z", "DeviceId": "d1", "DeviceName": "ws-1", "RemoteUrl": "meshcentral.com", "ReportId": 5},
        {**base, "Timestamp": "2026-12-02T05:00:00Z", "DeviceId": "d1", "DeviceName": "ws-1", "RemoteUrl": "meshcentral.com",
         "InitiatingProcessVersionInfoCompanyName": "Other", "ReportId": 6},
        {**base, "Timestamp": "2026-12-02T06:00:00Z", "DeviceId": "d2", "DeviceName": "ws-2", "RemoteUrl": "meshcentral.com", "ReportId": 7},
    ]
    write_jsonl(tmp_path / "tables" / "DeviceNetworkEvents.jsonl", rows)
    hits = find_hits(SEED, LocalQuerySource(tmp_path / "tables"), datetime(2026, 12, 3, tzinfo=timezone.utc))
    events = {(h.device.device_id, h.remote_url): [e.report_id for e in h.events] for h in hits}
    assert events == {("d1", "meshcentral.com"): ["1", "2"], ("d1", "relay.meshcentral.com"): ["3"],
                      ("d2", "meshcentral.com"): ["7"]}
    assert all(len(h.events) == h.count for h in hits)


class CountingSource(LocalQuerySource):
    def __init__(self, tables_dir):
        super().__init__(tables_dir)
        self.queries: list[str] = []

    def query(self, kql_text, **kw):
        self.queries.append(kql_text)
        return super().query(kql_text, **kw)


def test_one_drilldown_query_serves_every_hit(tmp_path):
    base = {"InitiatingProcessVersionInfoCompanyName": "MeshCentral", "RemoteUrl": "meshcentral.com",
            "Timestamp": "2026-12-02T01:00:00Z"}
    write_jsonl(tmp_path / "tables" / "DeviceNetworkEvents.jsonl",
                [{**base, "DeviceId": f"d{i}", "DeviceName": f"ws-{i}", "ReportId": i} for i in range(25)])
    source = CountingSource(tmp_path / "tables")
    hits = find_hits(SEED, source, datetime(2026, 12, 3, tzinfo=timezone.utc))
    assert len(hits) == 25
    assert len(source.queries) == 2  # the hunt, then one drill-down for all 25 devices


def test_drilldown_upper_bound_keeps_an_event_stored_with_finer_ticks_than_microseconds(tmp_path):
    base = {"InitiatingProcessVersionInfoCompanyName": "MeshCentral", "RemoteUrl": "meshcentral.com",
            "DeviceId": "d1", "DeviceName": "ws-1", "ReportId": 1}
    write_jsonl(tmp_path / "tables" / "DeviceNetworkEvents.jsonl", [{**base, "Timestamp": "2026-12-02T01:00:00.123456Z"}])
    source = CountingSource(tmp_path / "tables")
    find_hits(SEED, source, datetime(2026, 12, 3, tzinfo=timezone.utc))
    # Log Analytics may hold .1234567 and hand LastSeen back as .123456: the bound must reach past it.
    assert ".. datetime(2026-12-02T01:00:00.123457Z))" in source.queries[1]
