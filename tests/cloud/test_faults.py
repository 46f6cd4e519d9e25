"""Faults of the cloud path: each hunt that meets one fails with a clear logged error, the others still run.

Three hunts over the sample workspace: the seed (A) and two copies (B, C) whose
queries carry a marker comment, so the fake can fail one hunt's queries only.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from enrichment.change_calendar import ChangeCalendar
from enrichment.enricher import Enricher
from enrichment.inventory import InventoryOwnership
from enrichment.suppressions import load_suppressions
from hunting.hunts import QUERIES_DIR, load_hunts
from hunting.pipeline import RunReport, run_hunts
from tests.fakes.credential import FailingCredential

from .conftest import NOW, SAMPLE, la_source

SEED_ID = "fd366644-9bb6-4c00-870c-526ba9186270"
B_ID, C_ID = "00000000-0000-4000-8000-00000000000b", "00000000-0000-4000-8000-00000000000c"


@pytest.fixture
def hunts(tmp_path: Path):
    (seed_file,) = QUERIES_DIR.glob("*.yaml")
    seed = yaml.safe_load(seed_file.read_text(encoding="utf-8"))
    (tmp_path / "a.yaml").write_text(seed_file.read_text(encoding="utf-8"), encoding="utf-8")
    for name, hunt_id in (("b", B_ID), ("c", C_ID)):
        copy = {**seed, "id": hunt_id, "name": f"{seed['name']} ({name})",
                "query": seed["query"].replace("//\n", f"// marker:{name}\n", 1)}
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(copy, sort_keys=False), encoding="utf-8")
    return load_hunts(tmp_path)


def run(hunts, source) -> RunReport:
    enricher = Enricher([InventoryOwnership(SAMPLE / "inventory.csv")], [ChangeCalendar(SAMPLE / "changes.csv")])
    return run_hunts(hunts, source=source, enricher=enricher,
                     suppressions=load_suppressions(SAMPLE / "suppressions.yaml"), now=NOW)


def errors(report: RunReport) -> dict[str, str | None]:
    return {h.hunt_id: h.error for h in report.hunts}


def assert_only_b_failed(report: RunReport, message: str, caplog) -> None:
    outcome = errors(report)
    assert outcome[SEED_ID] is None and outcome[C_ID] is None
    assert message in outcome[B_ID]
    assert {f.hunt_id for f in report.findings} == {SEED_ID, C_ID}
    assert len(report.findings) == 26  # 13 per healthy hunt
    assert f"failed=[hunt {B_ID}: SourceError: loganalytics: " in report.summary()
    assert f"hunt {B_ID} failed" in caplog.text and message in caplog.text
    (record,) = [r for r in caplog.records if getattr(r, "hunt_id", None) == B_ID]
    assert (record.name, record.event, record.hits) == ("hunting.run", "hunt", 0) and message in record.error


@pytest.mark.parametrize(("fault", "message"), [
    ({"status": 400, "inner": ("SyntaxError", "A recognition error occurred in the query.")},
     "HTTP 400 BadArgumentError: A recognition error occurred in the query."),
    ({"status": 429, "retry_after": "0", "times": None}, "gave up after retries: HTTP 429 from Log Analytics"),
    ({"status": 503, "retry_after": "0", "times": None}, "gave up after retries: HTTP 503 from Log Analytics"),
    ({"status": 403}, "authentication failed: HTTP 403 InsufficientAccessError"),
], ids=["syntax-error", "429-storm", "503-storm", "forbidden"])
def test_a_fault_on_one_hunt_fails_that_hunt_only(fake, credential, hunts, caplog, fault, message):
    fake.add_fault(match="marker:b", **fault)

    with caplog.at_level(logging.ERROR):
        report = run(hunts, la_source(fake, credential))

    assert_only_b_failed(report, message, caplog)


def test_a_429_storm_spends_exactly_the_attempt_budget(fake, credential, hunts):
    fake.add_fault(match="marker:b", status=429, retry_after="0", times=None)

    run(hunts, la_source(fake, credential, HUNT_HTTP_RETRY_ATTEMPTS="3"))

    assert sum("marker:b" in q for q in fake.queries) == 3
    assert len(fake.queries) == 3 + 2 + 2


def test_a_query_the_service_cannot_resolve_fails_that_hunt_only(fake, credential, hunts, caplog):
    broken = replace(hunts[1], query=hunts[1].query.replace(
        "| where RemoteUrl has", "| where NoSuchColumn == 1\n| where RemoteUrl has", 1))

    with caplog.at_level(logging.ERROR):
        report = run([hunts[0], broken, hunts[2]], la_source(fake, credential))

    assert_only_b_failed(report, 'HTTP 400 BadArgumentError: Binder Error: Referenced column "NoSuchColumn"', caplog)


def test_an_identity_that_fails_once_fails_one_hunt_and_the_next_ones_run(fake, hunts, caplog):
    with caplog.at_level(logging.ERROR):
        report = run(hunts, la_source(fake, FailingCredential(failures=1)))

    outcome = errors(report)
    assert outcome[SEED_ID] == "SourceError: loganalytics: authentication failed: no token for Log Analytics " \
                               "(check the managed identity, or az login on a laptop)"
    assert outcome[B_ID] is None and outcome[C_ID] is None
    assert len(report.findings) == 26
    assert FailingCredential.MESSAGE not in caplog.text  # what the identity said stays out of the logs


def closed_port_endpoint() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"https://127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.parametrize(("kind", "message"), [
    ("identity", "authentication failed: no token for Log Analytics"),
    ("endpoint", "gave up after retries: no answer from Log Analytics (ServiceRequestError)"),
    ("workspace", "HTTP 404 WorkspaceNotFoundError: The workspace could not be found"),
])
def test_a_fault_every_hunt_meets_fails_each_and_the_run_still_reports(fake, credential, hunts, kind, message):
    if kind == "identity":
        source = la_source(fake, FailingCredential())
    elif kind == "endpoint":
        source = la_source(fake, credential, HUNT_LOG_ANALYTICS_ENDPOINT=closed_port_endpoint(),
                           HUNT_HTTP_RETRY_ATTEMPTS="2")
    else:
        source = la_source(fake, credential, HUNT_LOG_ANALYTICS_WORKSPACE_ID="00000000-0000-0000-0000-00000000dead")

    report = run(hunts, source)

    assert report.findings == ()
    assert all(message in (error or "") for error in errors(report).values())
    assert report.summary().count("hunt ") == 3 and message in report.summary()


def test_partial_results_are_flagged_on_the_findings_of_that_hunt(fake, credential, hunts):
    fake.add_fault(match="marker:b", status=200, partial="Query result set has exceeded the internal data size limit")

    report = run(hunts, la_source(fake, credential))

    assert report.failed == []
    flagged = [f for f in report.findings if f.hunt_id == B_ID]
    healthy = [f for f in report.findings if f.hunt_id == SEED_ID]
    assert len(flagged) == 13
    assert all(f.verdict.value == "suspicious" for f in flagged)  # an incomplete answer cannot explain a hit
    assert all(any("partial results from Log Analytics: Query result set has exceeded" in r for r in f.reasons)
               for f in flagged)
    assert {f.verdict.value for f in healthy} == {"suspicious", "maintenance", "suppressed"}
