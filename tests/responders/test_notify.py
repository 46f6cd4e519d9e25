"""The outbox: what is due, recorded before it is sent, kept until it is delivered."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest

from hunting.errors import SourceError
from hunting.models import Verdict
from responders.notify import (Outbox, Target, activity_uuid, deliver_each, finding_uuid, from_snapshot, snapshot)

from .findings import T0, finding

A = finding("ws-0142.contoso.com", device_id="d-0142")
B = finding("ws-0217.contoso.com", device_id="d-0217")


def suspicious(f) -> bool:
    return f.verdict is Verdict.SUSPICIOUS


def test_snapshot_rebuilds_the_finding() -> None:
    assert from_snapshot(snapshot(A)) == A
    assert from_snapshot(snapshot(A)).techniques == ("T1219",)
    assert from_snapshot(snapshot(replace(A, owner=None))).owner is None


def test_ids_are_derived_from_the_key_and_activity() -> None:
    assert finding_uuid(A.dedup_key) == finding_uuid(replace(A, count=9, last_seen=T0).dedup_key)
    assert finding_uuid(A.dedup_key) != finding_uuid(B.dedup_key)
    assert activity_uuid(A.dedup_key, A.last_seen) != activity_uuid(A.dedup_key, A.last_seen + timedelta(seconds=1))
    assert isinstance(finding_uuid(A.dedup_key), uuid.UUID)


def test_due_is_new_findings_and_new_activity_only(store) -> None:
    outbox = Outbox(store, "x")
    explained = replace(B, verdict=Verdict.MAINTENANCE)
    assert [d.finding for d in outbox.due([A, explained], suspicious)] == [A]
    deliver_each(outbox, outbox.due([A], suspicious), lambda d: None)
    assert outbox.due([A], suspicious) == []
    later = replace(A, last_seen=A.last_seen + timedelta(minutes=5))
    [due] = outbox.due([later], suspicious)
    assert due.finding == later and due.new_activity


def test_a_send_is_recorded_before_it_is_attempted(store) -> None:
    outbox = Outbox(store, "x")

    def crash(delivery):
        assert store.load("x")[delivery.key].pending  # already on record when the send starts
        raise KeyboardInterrupt  # the process dies mid-send

    with pytest.raises(KeyboardInterrupt):
        deliver_each(outbox, outbox.due([A], suspicious), crash)
    [retry] = Outbox(store, "x").due([], suspicious)
    assert retry.finding == A and not retry.new_activity


def test_failed_sends_stay_pending_and_the_rest_go_on(store) -> None:
    outbox = Outbox(store, "x")

    def send(delivery):
        if delivery.finding.device_id == "d-0142":
            raise SourceError("target", "HTTP 503")
        return Target("id-1", "https://t/1", "T 1")

    outcome = deliver_each(outbox, outbox.due([A, B], suspicious), send)
    assert (outcome.sent, outcome.failed) == (1, 1) and "target: HTTP 503" in outcome.detail
    records = store.load("x")
    assert records[A.dedup_key].pending and records[A.dedup_key].attempts == 1
    assert records[B.dedup_key].target_id == "id-1" and records[B.dedup_key].first_notified is not None


def test_the_newer_of_a_pending_snapshot_and_the_run_is_sent(store) -> None:
    outbox = Outbox(store, "x")
    newer = replace(A, last_seen=A.last_seen + timedelta(hours=1))
    deliver_each(outbox, outbox.due([newer], suspicious), lambda d: (_ for _ in ()).throw(SourceError("t", "down")))
    [due] = outbox.due([A], suspicious)  # the run shows an older view of the finding
    assert due.finding.last_seen == newer.last_seen


def test_target_ids_are_kept_across_later_deliveries(store) -> None:
    outbox = Outbox(store, "x")
    deliver_each(outbox, outbox.due([A], suspicious), lambda d: Target("inc-1", "https://t/1", "INC1"))
    later = replace(A, last_seen=A.last_seen + timedelta(hours=1))
    deliver_each(outbox, outbox.due([later], suspicious), lambda d: None)
    record = store.load("x")[A.dedup_key]
    assert (record.target_id, record.delivered_last_seen) == ("inc-1", later.last_seen)
