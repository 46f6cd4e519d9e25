"""Sentinel responder against a fake SecurityInsights API: one incident per finding, updates, comments."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest

from hunting.assemble import Context
from hunting.errors import SettingsError
from hunting.models import Severity, Verdict
from hunting.settings import Settings
from responders.notify import finding_uuid, snapshot
from responders.sentinel import SentinelResponder
from tests.fakes.credential import FailingCredential, StaticTokenCredential

from .conftest import FAST
from .findings import finding

A = finding("ws-0142.contoso.com", device_id="d-0142", severity=Severity.MEDIUM)
B = finding("ws-0217.contoso.com", device_id="d-0217")
INCIDENT_A = str(finding_uuid(A.dedup_key))


def responder(sentinel, store, credential=None) -> SentinelResponder:
    return SentinelResponder(subscription_id="sub-1", resource_group="rg-soc", workspace="law-soc", store=store,
                             credential=credential or StaticTokenCredential(), arm_endpoint=sentinel.url,
                             policy=FAST)


def test_creates_one_incident_per_suspicious_finding_with_a_deterministic_id(sentinel, store) -> None:
    credential = StaticTokenCredential()
    explained = replace(B, verdict=Verdict.MAINTENANCE, device_id="d-x")
    outcome = responder(sentinel, store, credential).send([A, B, explained])
    assert (outcome.sent, outcome.failed) == (2, 0)
    assert set(sentinel.incidents) == {INCIDENT_A, str(finding_uuid(B.dedup_key))}
    props = sentinel.incidents[INCIDENT_A]["properties"]
    assert props["severity"] == "Medium" and props["status"] == "New" and "owner" not in props
    assert props["lastActivityTimeUtc"] == "2026-12-03T11:00:00Z"
    assert [l["labelName"] for l in props["labels"]] == [A.hunt_id, "T1219"]
    assert "2 of 3 connections outside CHG0030001 window" in props["description"]
    assert credential.scopes[0] == (f"{sentinel.url}/.default",)
    record = store.load("sentinel")[A.dedup_key]
    assert record.target_id == INCIDENT_A and record.target_label == "Sentinel incident 3177"
    assert record.target_url.endswith(f"/incidents/{INCIDENT_A}")


def test_no_new_activity_sends_nothing_and_new_activity_updates_and_comments(sentinel, store) -> None:
    responder(sentinel, store).send([A])
    calls = sentinel.calls_total
    assert responder(sentinel, store).send([A]).sent == 0
    assert sentinel.calls_total == calls

    sentinel.analyst_edit(INCIDENT_A, status="Active", owner={"objectId": "7f0e", "assignedTo": "Bob"},
                          severity="High")
    later = replace(A, last_seen=A.last_seen + timedelta(hours=3), count=7)
    assert responder(sentinel, store).send([later]).sent == 1
    props = sentinel.incidents[INCIDENT_A]["properties"]
    assert props["lastActivityTimeUtc"] == "2026-12-03T14:00:00Z"
    assert (props["status"], props["owner"]["assignedTo"], props["severity"]) == ("Active", "Bob", "High")
    [message] = sentinel.comments[INCIDENT_A].values()
    assert message.startswith("<p>New activity up to 2026-12-03T14:00:00Z: 7 connection(s)")
    assert sentinel.created[INCIDENT_A] == 1


def test_a_stale_etag_rereads_and_keeps_the_analysts_change(sentinel, store) -> None:
    responder(sentinel, store).send([A])
    later = replace(A, last_seen=A.last_seen + timedelta(hours=1))
    original_get = sentinel.handle

    def edit_between_get_and_put(request):
        reply = original_get(request)
        if request.method == "GET" and not getattr(edit_between_get_and_put, "done", False):
            edit_between_get_and_put.done = True
            sentinel.analyst_edit(INCIDENT_A, classificationComment="looking into it")
        return reply

    sentinel.handle = edit_between_get_and_put
    assert responder(sentinel, store).send([later]).sent == 1
    props = sentinel.incidents[INCIDENT_A]["properties"]
    assert props["classificationComment"] == "looking into it"
    assert props["lastActivityTimeUtc"] == "2026-12-03T12:00:00Z"
    assert any(r.method == "PUT" and r.path.endswith(INCIDENT_A) for r in sentinel.requests)


def test_a_crash_after_the_create_does_not_duplicate_on_the_next_run(sentinel, store) -> None:
    sentinel.inject_next("drop")  # the incident is created, the answer is lost: retried in-run
    assert responder(sentinel, store).send([A]).sent == 1
    record = store.load("sentinel")[A.dedup_key]  # as if the run died before recording the delivery:
    store.save(replace(record, delivered_last_seen=None, pending_last_seen=A.last_seen, pending_finding=snapshot(A)))
    assert responder(sentinel, store).send([A]).sent == 1  # sent again
    assert list(sentinel.incidents) == [INCIDENT_A] and sentinel.created[INCIDENT_A] == 1
    assert INCIDENT_A not in sentinel.comments  # a replay of the same activity is not "new activity"


def test_a_replayed_update_overwrites_the_same_comment(sentinel, store) -> None:
    responder(sentinel, store).send([A])
    later = replace(A, last_seen=A.last_seen + timedelta(hours=1))
    sentinel.inject_next("stall")  # the update is applied, the answer comes too late: retried
    assert responder(sentinel, store).send([later]).sent == 1
    record = store.load("sentinel")[A.dedup_key]
    store.save(replace(record, delivered_last_seen=A.last_seen))  # as if the state write had been lost
    assert responder(sentinel, store).send([later]).sent == 1
    assert len(sentinel.comments[INCIDENT_A]) == 1
    assert sum(sentinel.comments_created.values()) == 1


def test_failures_stay_pending_and_are_retried(sentinel, store) -> None:
    sentinel.inject_next("500", times=2)
    first = responder(sentinel, store).send([A])
    assert first.failed == 1 and "sentinel incident" in first.detail
    assert responder(sentinel, store).send([]).sent == 1
    assert INCIDENT_A in sentinel.incidents


def test_no_token_is_a_failed_send_not_a_crash(sentinel, store) -> None:
    outcome = responder(sentinel, store, FailingCredential()).send([A, B])
    assert (outcome.sent, outcome.failed) == (0, 2) and "ClientAuthenticationError" in outcome.detail
    assert responder(sentinel, store).send([]).sent == 2


def test_refused_request_names_the_arm_error_code(sentinel, store) -> None:
    outcome = responder(sentinel, store, StaticTokenCredential("wrong")).send([A])
    assert outcome.failed == 1 and re.search(r"HTTP 401 \(AuthenticationFailed\)", outcome.detail)


def test_telemetry_is_html_escaped_in_the_incident(sentinel, store) -> None:
    evil = replace(A, device_name="<script>alert(1)</script>", reasons=("[code]<img src=x>[/code]",))
    responder(sentinel, store).send([evil])
    props = sentinel.incidents[INCIDENT_A]["properties"]
    assert "<script>" not in props["description"] + props["title"] and "&lt;script&gt;" in props["title"]
    assert "[code]" not in props["description"] and "<img" not in props["description"]


def test_from_context_requires_the_workspace(tmp_path) -> None:
    context = Context(Settings({"HUNT_STATE_PATH": str(tmp_path / "s.sqlite")}), None)
    with pytest.raises(SettingsError, match="HUNT_SENTINEL_SUBSCRIPTION_ID"):
        SentinelResponder.from_context(context, credential=StaticTokenCredential())
    context = Context(Settings({"HUNT_STATE_PATH": str(tmp_path / "s.sqlite"), "HUNT_SENTINEL_SUBSCRIPTION_ID": "s",
                                "HUNT_SENTINEL_RESOURCE_GROUP": "r", "HUNT_SENTINEL_WORKSPACE": "w",
                                "HUNT_SENTINEL_ARM_ENDPOINT": "http://arm.example"}), None)
    with pytest.raises(SettingsError, match="https://"):
        SentinelResponder.from_context(context, credential=StaticTokenCredential())
