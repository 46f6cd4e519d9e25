"""ServiceNow incident responder against the fake Table API: one incident, one work note per activity."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hunting.assemble import Context
from hunting.models import Verdict
from hunting.servicenow import ServiceNowClient
from hunting.settings import Settings
from responders.notify import finding_uuid, snapshot
from responders.servicenow_incident import ServiceNowIncidentResponder

from .conftest import FAST
from .findings import finding

A = finding("ws-0142.contoso.com", device_id="d-0142")
B = finding("ws-0217.contoso.com", device_id="d-0217")


def responder(servicenow, store, **kwargs) -> ServiceNowIncidentResponder:
    def client(attempts: int) -> ServiceNowClient:
        return ServiceNowClient(servicenow.url, username="hunter", password="s3cret",
                                policy=replace(FAST, attempts=attempts))

    return ServiceNowIncidentResponder(client(2), client(1), store, **kwargs)


def test_creates_one_incident_per_suspicious_finding(servicenow, store) -> None:
    explained = replace(B, device_id="d-x", verdict=Verdict.SUPPRESSED)
    outcome = responder(servicenow, store, assignment_group="a1b2").send([A, B, explained])
    assert (outcome.sent, outcome.failed) == (2, 0)
    incidents = servicenow.incidents()
    assert sorted(i["correlation_id"] for i in incidents) == sorted(
        str(finding_uuid(f.dedup_key)) for f in (A, B))
    first = next(i for i in incidents if i["correlation_id"] == str(finding_uuid(A.dedup_key)))
    assert first["short_description"] == "RMM tool relay7.meshcentral.com on ws-0142.contoso.com"
    assert (first["urgency"], first["impact"], first["assignment_group"]) == ("1", "2", "a1b2")
    assert "2 of 3 connections outside CHG0030001 window" in first["description"]
    record = store.load("servicenow")[A.dedup_key]
    assert record.target_id == first["sys_id"] and record.target_label == f"ServiceNow {first['number']}"
    assert record.target_url == f"{servicenow.url}/nav_to.do?uri=incident.do%3Fsys_id%3D{first['sys_id']}"


def test_new_activity_adds_one_work_note_and_no_activity_adds_none(servicenow, store) -> None:
    responder(servicenow, store).send([A])
    assert responder(servicenow, store).send([A]).sent == 0
    later = replace(A, last_seen=A.last_seen + timedelta(hours=2), count=9)
    assert responder(servicenow, store).send([later]).sent == 1
    [incident] = servicenow.incidents()
    [note] = servicenow.journal[incident["sys_id"]]
    assert note.startswith("New activity up to 2026-12-03T13:00:00Z: 9 connection(s)")
    assert incident["correlation_display"] == "rmm-hunt 2026-12-03T13:00:00Z"


def test_an_unanswered_create_is_found_again_instead_of_duplicated(servicenow, store) -> None:
    servicenow.inject_next("drop")
    assert responder(servicenow, store).send([A]).sent == 1
    assert len(servicenow.incidents()) == 1


def test_a_lost_state_write_does_not_duplicate_the_incident_or_the_note(servicenow, store) -> None:
    responder(servicenow, store).send([A])
    later = replace(A, last_seen=A.last_seen + timedelta(hours=1))
    responder(servicenow, store).send([later])
    record = store.load("servicenow")[A.dedup_key]
    store.save(replace(record, delivered_last_seen=A.last_seen, pending_last_seen=later.last_seen,
                       pending_finding=snapshot(later)))  # as if the run died before recording the delivery
    assert responder(servicenow, store).send([]).sent == 1
    [incident] = servicenow.incidents()
    assert len(servicenow.journal[incident["sys_id"]]) == 1


def test_an_unanswered_work_note_is_checked_not_repeated(servicenow, store) -> None:
    responder(servicenow, store).send([A])
    later = replace(A, last_seen=A.last_seen + timedelta(hours=1))
    servicenow.inject_next("drop", method="PATCH")
    assert responder(servicenow, store).send([later]).sent == 1
    [incident] = servicenow.incidents()
    assert servicenow.faults["drop"] == 1
    assert len(servicenow.journal[incident["sys_id"]]) == 1


def test_a_failed_create_stays_pending(servicenow, store) -> None:
    servicenow.inject_next("500", times=3)  # the create and both attempts of the lookup after it
    first = responder(servicenow, store).send([A])
    assert first.failed == 1 and store.load("servicenow")[A.dedup_key].pending
    assert responder(servicenow, store).send([]).sent == 1
    assert len(servicenow.incidents()) == 1


def test_a_deleted_incident_is_opened_again(servicenow, store) -> None:
    responder(servicenow, store).send([A])
    [gone] = servicenow.incidents()
    servicenow.delete_incident(gone["sys_id"])
    later = replace(A, last_seen=A.last_seen + timedelta(hours=1))
    assert responder(servicenow, store).send([later]).sent == 1
    [incident] = servicenow.incidents()
    assert incident["sys_id"] != gone["sys_id"]
    assert store.load("servicenow")[A.dedup_key].target_id == incident["sys_id"]


def test_telemetry_is_escaped_in_the_ticket(servicenow, store) -> None:
    evil = replace(A, device_name="<b>x</b>", reasons=("[code]<script>alert(1)</script>[/code]",))
    responder(servicenow, store).send([evil])
    [incident] = servicenow.incidents()
    assert "<b>" not in incident["short_description"] and "&lt;b&gt;" in incident["short_description"]
    assert "[code]" not in incident["description"] and "<script>" not in incident["description"]


def test_from_context_uses_the_servicenow_settings(servicenow, tmp_path) -> None:
    settings = Settings({"SERVICENOW_INSTANCE_URL": servicenow.url, "SERVICENOW_USERNAME": "hunter",
                         "SERVICENOW_PASSWORD": "s3cret", "HUNT_STATE_PATH": str(tmp_path / "s.sqlite")})
    built = ServiceNowIncidentResponder.from_context(Context(settings, None))
    assert built.send([A]).sent == 1
