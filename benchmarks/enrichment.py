"""Enrichment at scale: 10,000 hits on 2,000 devices against the fakes, 20 ms per request.

    python benchmarks/enrichment.py [--hits 10000] [--devices 2000] [--latency 0.02] [--baseline-hits 200]

Runs the real sources (Defender DeviceInfo, Intune via Graph $batch, ServiceNow
CMDB and change_request) through the real ``Enricher``, against the fake
services of ``tests/fakes`` with ``--latency`` seconds added to every request
(Defender's one query runs on the local DuckDB source, wrapped to add the same
latency and count as one call). Then the naive baseline: every source asked
once per hit, for that hit's device only, one after another.

The full baseline takes about 4 requests x latency per hit (~15 minutes for
10,000 hits), so by default it runs on the first ``--baseline-hits`` hits and
is extrapolated linearly to all hits (calls and seconds); the output says so
(``baseline_extrapolated``). ``--baseline-hits 0`` runs it on every hit.

The last line is one JSON object: hits, devices, calls_total, seconds,
baseline_calls_total, baseline_seconds, speedup, plus calls per service.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Sequence

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from enrichment.defender import DefenderOwnership  # noqa: E402
from enrichment.enricher import Enricher  # noqa: E402
from enrichment.graph import GraphClient  # noqa: E402
from enrichment.intune import IntuneOwnership  # noqa: E402
from enrichment.servicenow_changes import ServiceNowChanges  # noqa: E402
from enrichment.servicenow_cmdb import ServiceNowCmdbOwnership  # noqa: E402
from hunting.http import RetryPolicy  # noqa: E402
from hunting.models import Device  # noqa: E402
from hunting.servicenow import ServiceNowClient, utc_query_time  # noqa: E402
from hunting.sources.local import LocalQuerySource  # noqa: E402
from tests.fakes.credential import StaticTokenCredential  # noqa: E402
from tests.fakes.graph import FakeGraph  # noqa: E402
from tests.fakes.servicenow import FakeServiceNow  # noqa: E402

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)
START, END = NOW - timedelta(days=5), NOW


class SlowQuerySource:
    """The local query source with the fakes' latency per query, counting queries as calls."""

    name = "local"

    def __init__(self, tables: Path, latency: float):
        self._inner = LocalQuerySource(tables)
        self._latency = latency
        self.calls = 0

    def query(self, kql: str, *, tables: Sequence[str], now: datetime, timespan: timedelta | None = None) -> Any:
        self.calls += 1
        time.sleep(self._latency)
        return self._inner.query(kql, tables=tables, now=now, timespan=timespan)


def device_names(count: int) -> list[str]:
    return [f"{'srv' if i % 10 == 0 else 'ws'}-{i:05d}.contoso.com" for i in range(count)]


def seed(names: list[str], snow: FakeServiceNow, graph: FakeGraph, tables: Path) -> None:
    """Every device known to Intune, CMDB and Defender; a change window on every other device."""
    group = snow.add("sys_user_group", name="Service Desk")
    rows = []
    for i, name in enumerate(names):
        label = name.split(".")[0]
        user = f"user{i:05d}"
        person = snow.add("sys_user", name=f"User {i:05d}", email=f"{user}@contoso.com", user_name=user)
        ci = snow.add("cmdb_ci_computer", name=label.upper(), assigned_to=person, support_group=group)
        graph.add_device(label.upper(), f"{user}@contoso.com", f"User {i:05d}")
        if i % 2 == 0:
            start = START + timedelta(hours=i % 96)
            snow.add("change_request", number=f"CHG{i:07d}", short_description=f"patch {label}", state="-2",
                     approval="approved", cmdb_ci=ci, assignment_group=group,
                     start_date=utc_query_time(start), end_date=utc_query_time(start + timedelta(hours=2)))
        for day in (1, 2):
            rows.append({"Timestamp": (NOW - timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "DeviceId": hashlib.sha1(name.encode()).hexdigest(), "DeviceName": name,
                         "LoggedOnUsers": [{"UserName": user, "DomainName": "CONTOSO"}] if day == 2 else [],
                         "MachineGroup": "Workstations", "DeviceCategory": "Endpoint", "AssetValue": "Normal"})
    tables.mkdir(parents=True, exist_ok=True)
    (tables / "DeviceInfo.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def build(snow: FakeServiceNow, graph: FakeGraph, defender_source: SlowQuerySource) -> Enricher:
    policy = RetryPolicy(attempts=3, max_seconds=30)
    client = ServiceNowClient(snow.url, username=snow.username, password=snow.password, policy=policy)
    graph_client = GraphClient(f"{graph.url}/v1.0", StaticTokenCredential(), policy=policy, source="intune")
    return Enricher([DefenderOwnership(defender_source, clock=lambda: NOW), IntuneOwnership(graph_client),
                     ServiceNowCmdbOwnership(client)], [ServiceNowChanges(client)])


def counts(snow: FakeServiceNow, graph: FakeGraph, defender: SlowQuerySource) -> dict[str, int]:
    return {"defender": defender.calls, "graph": graph.calls_total, "servicenow": snow.calls_total}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hits", type=int, default=10_000)
    parser.add_argument("--devices", type=int, default=2_000)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds added to every request")
    parser.add_argument("--baseline-hits", type=int, default=200, help="hits the baseline runs on (0: all)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)

    names = device_names(args.devices)
    hits = [Device(hashlib.sha1(names[h % len(names)].encode()).hexdigest(), names[h % len(names)])
            for h in range(args.hits)]  # hit.device of every hit, as the pipeline hands them over
    with tempfile.TemporaryDirectory() as scratch, FakeServiceNow(latency=args.latency) as snow, \
            FakeGraph(latency=args.latency) as graph:
        print(f"seeding {args.devices} devices into the fakes ...", file=sys.stderr)
        seed(names, snow, graph, Path(scratch) / "tables")
        defender = SlowQuerySource(Path(scratch) / "tables", args.latency)
        enricher = build(snow, graph, defender)
        defender._inner.query("DeviceInfo | take 1", tables=["DeviceInfo"], now=NOW)  # load the table untimed

        snow.reset_counts(), graph.reset_counts()
        started = time.perf_counter()
        result = enricher.enrich(hits, START, END)
        seconds = time.perf_counter() - started
        calls = counts(snow, graph, defender)
        owned = sum(1 for e in result.values() if e.owner is not None)
        with_changes = sum(1 for e in result.values() if e.changes)
        assert owned == args.devices and with_changes == (args.devices + 1) // 2, (owned, with_changes)
        assert not any(e.failures for e in result.values())
        print(f"batched : {seconds:7.2f}s  calls {calls}  owners {owned}  devices with changes {with_changes}")

        sample = hits if args.baseline_hits <= 0 else hits[:args.baseline_hits]
        snow.reset_counts(), graph.reset_counts()
        defender.calls = 0
        started = time.perf_counter()
        for device in sample:  # naive: every source, once per hit, for that hit's device alone
            naive = enricher.enrich([device], START, END)[device]
            assert naive.owner == result[device].owner and naive.changes == result[device].changes
        measured = time.perf_counter() - started
        scale = len(hits) / len(sample)
        baseline_calls = {k: round(v * scale) for k, v in counts(snow, graph, defender).items()}
        baseline_seconds = measured * scale
        note = "" if scale == 1 else f" (measured on {len(sample)} hits in {measured:.2f}s, x{scale:g})"
        print(f"baseline: {baseline_seconds:7.2f}s  calls {baseline_calls}{note}")

    summary = {
        "hits": args.hits, "devices": args.devices, "latency_seconds": args.latency,
        "calls_total": sum(calls.values()), "seconds": round(seconds, 3), "calls": calls,
        "baseline_calls_total": sum(baseline_calls.values()), "baseline_seconds": round(baseline_seconds, 3),
        "baseline_calls": baseline_calls, "baseline_sampled_hits": len(sample), "baseline_extrapolated": scale != 1,
        "speedup": round(baseline_seconds / seconds, 1),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
