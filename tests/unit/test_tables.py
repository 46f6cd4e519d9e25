"""Loading exported tables: JSONL, CSV and Parquet give the same typed table."""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import pytest

from hunting.errors import InputError
from hunting.sources.local import LocalQuerySource
from tests.conftest import write_jsonl

ROWS = [
    {"Timestamp": "2026-12-02T10:00:00+05:30", "DeviceId": "d1", "DeviceName": "ws-1", "RemotePort": 443,
     "ReportId": 7, "AdditionalFields": {"k": "v"}, "Custom": "x"},
    {"Timestamp": "2026-12-02T05:00:00", "DeviceId": "d2", "DeviceName": "ws-2", "RemotePort": None, "ReportId": 8},
]
QUERY = "DeviceNetworkEvents | project Timestamp, DeviceId, RemotePort, ReportId, RemoteUrl | order by DeviceId asc"
NOW = datetime(2026, 12, 3, tzinfo=timezone.utc)


def query(tables_dir, kql=QUERY):
    return LocalQuerySource(tables_dir).query(kql, tables=["DeviceNetworkEvents"], now=NOW).records()


def test_jsonl_offsets_become_utc_and_naive_times_are_utc(tmp_path):
    write_jsonl(tmp_path / "DeviceNetworkEvents.jsonl", ROWS)
    rows = query(tmp_path)
    assert rows[0]["Timestamp"] == datetime(2026, 12, 2, 4, 30, tzinfo=timezone.utc)
    assert rows[1]["Timestamp"] == datetime(2026, 12, 2, 5, 0, tzinfo=timezone.utc)
    assert rows[0]["RemotePort"] == 443 and rows[1]["RemotePort"] is None


def test_known_columns_missing_from_the_export_are_typed_nulls(tmp_path):
    write_jsonl(tmp_path / "DeviceNetworkEvents.jsonl", ROWS)
    assert [r["RemoteUrl"] for r in query(tmp_path)] == [None, None]
    rows = query(tmp_path, "DeviceNetworkEvents | where RemoteUrl has 'x' | count")
    assert rows == [{"Count": 0}]


def test_csv_gives_the_same_rows_as_jsonl(tmp_path):
    (tmp_path / "DeviceNetworkEvents.csv").write_text(
        "Timestamp,DeviceId,DeviceName,RemotePort,ReportId\n"
        "2026-12-02T10:00:00+05:30,d1,ws-1,443,7\n"
        "2026-12-02T05:00:00,d2,ws-2,,8\n")
    jsonl_dir = tmp_path / "j"
    write_jsonl(jsonl_dir / "DeviceNetworkEvents.jsonl", ROWS)
    assert query(tmp_path) == query(jsonl_dir)


def test_parquet_is_read_as_is(tmp_path):
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    con.execute(f"""COPY (SELECT TIMESTAMP '2026-12-02 04:30:00' AS Timestamp, 'd1' AS DeviceId, 443 AS RemotePort,
                 7::BIGINT AS ReportId) TO '{tmp_path / "DeviceNetworkEvents.parquet"}' (FORMAT parquet)""")
    (row,) = query(tmp_path)
    assert row["Timestamp"] == datetime(2026, 12, 2, 4, 30, tzinfo=timezone.utc) and row["ReportId"] == 7


@pytest.mark.parametrize("row, message", [
    ({"Timestamp": "2026-12-02", "RemotePort": "https"}, "column RemotePort: expected an integer"),
    ({"Timestamp": 12345}, "column Timestamp: expected an ISO 8601 date"),
    ({"Timestamp": "2026-12-02", "IsInitiatingProcessRemoteSession": "maybe"},
     "column IsInitiatingProcessRemoteSession: expected true or false"),
])
def test_bad_values_name_file_line_and_column(tmp_path, row, message):
    write_jsonl(tmp_path / "DeviceNetworkEvents.jsonl", [{"Timestamp": "2026-12-02"}, row])
    with pytest.raises(InputError, match=f"DeviceNetworkEvents.jsonl:2: {message}"):
        query(tmp_path)


def test_a_table_in_two_formats_is_ambiguous(tmp_path):
    write_jsonl(tmp_path / "DeviceNetworkEvents.jsonl", ROWS)
    (tmp_path / "DeviceNetworkEvents.csv").write_text("Timestamp\n")
    with pytest.raises(InputError, match="in 2 files"):
        query(tmp_path)


def test_only_the_tables_a_query_names_are_loaded(tmp_path):
    write_jsonl(tmp_path / "DeviceNetworkEvents.jsonl", ROWS)
    (tmp_path / "DeviceInfo.jsonl").write_text("this is not json\n")  # never read
    assert len(query(tmp_path)) == 2


def test_a_table_the_query_reads_but_does_not_declare_is_a_user_error(tmp_path):
    write_jsonl(tmp_path / "DeviceNetworkEvents.jsonl", ROWS)
    with pytest.raises(InputError, match="does not declare in requiredDataConnectors .*DeviceInfo"):
        LocalQuerySource(tmp_path).query("DeviceInfo | take 1", tables=["DeviceNetworkEvents"], now=NOW)
