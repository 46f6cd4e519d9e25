"""Exactly-once delivery on top of the state store: dedup, outbox, deterministic ids.

Each responder that tells a person or opens a ticket goes through an ``Outbox``:

1. ``due(findings, wanted)`` picks what must go out: a wanted finding whose key
   was never delivered or whose ``last_seen`` is later than the last delivered
   activity (new activity), plus every send still pending from an earlier run
   (from its stored snapshot, even if the finding is no longer in this run).
2. ``attempting(delivery)`` records the send *before* it is attempted.
3. ``delivered(...)`` clears it after the target accepted it; ``failed(...)``
   leaves it pending for the next run.

A crash between a successful send and step 3 leaves the send pending, so the
next run sends it again. Sentinel and ServiceNow make that harmless (see their
modules): incidents are found by an id derived from the dedup key, and an update
is skipped when the incident already shows the activity. A Teams webhook post
cannot be checked or deduplicated by the receiver, so that one case (and a post
whose response was lost) can repeat a card: at most once per interrupted send,
and only for the finding(s) of that one post.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable, Iterable, Sequence

from hunting.errors import SourceError
from hunting.models import Finding, Owner, ResponderOutcome, Severity, Verdict, iso_z
from hunting.timeparse import parse_moment, utc_now

from .state import DedupKey, Record, StateStore

log = logging.getLogger(__name__)

#: Namespace of the ids derived from dedup keys (Sentinel incident ids, ServiceNow correlation ids).
FINDING_NAMESPACE = uuid.UUID("5b0f8a52-3c4e-4f0e-9d59-6f1d2b7a9c31")
_SNAPSHOT_REPORT_IDS = 50  # a snapshot keeps this many report ids: enough to investigate, bounded in size


def finding_uuid(key: DedupKey) -> uuid.UUID:
    """The same UUID for the same dedup key in every run: the incident id, the idempotency key."""
    return uuid.uuid5(FINDING_NAMESPACE, json.dumps(list(key)))


def activity_uuid(key: DedupKey, last_seen: datetime) -> uuid.UUID:
    """The same UUID for the same activity of a finding: the id of the comment that reports it."""
    return uuid.uuid5(FINDING_NAMESPACE, json.dumps([*key, iso_z(last_seen)]))


# -- snapshots: a pending send survives the run that made it ------------------------------------------


def snapshot(finding: Finding) -> str:
    """The finding as JSON, enough to rebuild and resend it in a later run."""
    data = finding.as_json()
    data["report_ids"] = data["report_ids"][:_SNAPSHOT_REPORT_IDS]
    data["techniques"] = list(finding.techniques)
    if finding.owner:
        data["owner"]["criticality"] = finding.owner.criticality
    return json.dumps(data, ensure_ascii=False)


def from_snapshot(text: str) -> Finding:
    data = json.loads(text)
    owner = data.get("owner")
    return Finding(
        hunt_id=data["hunt_id"], hunt_name=data["hunt_name"], device_id=data["device_id"],
        device_name=data["device_name"], remote_url=data["remote_url"],
        first_seen=parse_moment(data["first_seen"]), last_seen=parse_moment(data["last_seen"]),
        count=int(data["count"]), report_ids=tuple(data["report_ids"]), verdict=Verdict(data["verdict"]),
        severity=Severity(data["severity"]),
        owner=Owner(owner["upn"], owner["name"], owner["team"], owner["source"], owner.get("criticality", ""))
        if owner else None,
        change_tickets=tuple(data["change_tickets"]), suppression_ids=tuple(data["suppression_ids"]),
        reasons=tuple(data["reasons"]), techniques=tuple(data.get("techniques", ())),
    )


# -- the outbox ---------------------------------------------------------------------------------------


@dataclass
class Delivery:
    """One send to make: the finding to send and the record it updates."""

    finding: Finding
    record: Record

    @property
    def key(self) -> DedupKey:
        return self.finding.dedup_key

    @property
    def new_activity(self) -> bool:
        """Whether the target already has an earlier activity of this finding (an update, not a first send)."""
        return self.record.delivered_last_seen is not None


@dataclass(frozen=True)
class Target:
    """What the target made of a send, kept so later runs (and other responders) can refer to it."""

    id: str = ""
    url: str = ""
    label: str = ""


class Outbox:
    """One responder's sends: what is due, and the record of each attempt."""

    def __init__(self, store: StateStore, responder: str, *, clock: Callable[[], datetime] = utc_now):
        self.store = store
        self.responder = responder
        self._clock = clock

    def due(self, findings: Iterable[Finding], wanted: Callable[[Finding], bool]) -> list[Delivery]:
        """New findings, new activity, and every send still pending, in a stable order."""
        records = self.store.load(self.responder)
        due: dict[DedupKey, Delivery] = {}
        for finding in findings:
            if not wanted(finding):
                continue
            record = records.get(finding.dedup_key) or Record(self.responder, *finding.dedup_key)
            if record.delivered_last_seen is None or finding.last_seen > record.delivered_last_seen:
                due[finding.dedup_key] = Delivery(finding, record)
        for key, record in records.items():
            if not record.pending:
                continue
            pending = from_snapshot(record.pending_finding)
            current = due.get(key)
            if current is None or pending.last_seen > current.finding.last_seen:
                due[key] = Delivery(pending, record)  # retried even if the finding left this run
        return sorted(due.values(), key=lambda d: (d.finding.hunt_id, d.finding.device_name.lower(),
                                                   d.finding.remote_url, d.finding.device_id))

    def prepare(self, findings: Iterable[Finding], wanted: Callable[[Finding], bool]) -> None:
        """Put every send this run will make on record now, before any responder sends anything."""
        for delivery in self.due(findings, wanted):
            self.attempting(delivery)

    def attempting(self, delivery: Delivery) -> None:
        """Record the send before it is made; from here on a crash leaves it pending."""
        delivery.record = replace(delivery.record, pending_last_seen=delivery.finding.last_seen,
                                  pending_finding=snapshot(delivery.finding), updated=self._clock())
        self.store.save(delivery.record)

    def delivered(self, delivery: Delivery, target: Target | None = None) -> None:
        record = delivery.record
        delivered = max(filter(None, (record.delivered_last_seen, delivery.finding.last_seen)))
        now = self._clock()
        delivery.record = replace(
            record, first_notified=record.first_notified or now, delivered_last_seen=delivered,
            pending_last_seen=None, pending_finding="", attempts=0, last_error="", updated=now,
            target_id=(target and target.id) or record.target_id, target_url=(target and target.url) or record.target_url,
            target_label=(target and target.label) or record.target_label)
        self.store.save(delivery.record)

    def failed(self, delivery: Delivery, error: str) -> None:
        delivery.record = replace(delivery.record, attempts=delivery.record.attempts + 1, last_error=error[:300],
                                  updated=self._clock())
        self.store.save(delivery.record)


def deliver_each(outbox: Outbox, deliveries: Sequence[Delivery],
                 send: Callable[[Delivery], Target | None]) -> ResponderOutcome:
    """Send one delivery at a time through the outbox; a failed one stays pending, the rest go on.

    Only ``SourceError`` (the target failed or refused) is a failed send; a state-store
    error or a bug propagates to the pipeline's boundary with the current send pending.
    """
    sent = failed = 0
    errors: list[str] = []
    for delivery in deliveries:  # all on record first: a crash part-way leaves the rest pending too
        outbox.attempting(delivery)
    for delivery in deliveries:
        try:
            target = send(delivery)
        except SourceError as exc:
            log.warning("%s: send for %s failed, kept for the next run: %s", outbox.responder,
                        delivery.finding.device_name, exc)
            outbox.failed(delivery, str(exc))
            failed += 1
            errors.append(str(exc))
            continue
        outbox.delivered(delivery, target)
        sent += 1
    detail = f"{failed} pending for the next run: {errors[0]}" if failed else ""
    return ResponderOutcome(sent=sent, failed=failed, detail=detail)


class IncidentResponder:
    """What the incident responders share: one incident per suspicious finding, sent through the outbox.

    A subclass sets ``name`` and ``_outbox`` and writes ``_upsert`` (create the
    incident, or add the new activity to it) so that doing it twice is harmless.
    """

    name: str
    _outbox: Outbox

    def prepare(self, findings: Sequence[Finding]) -> None:
        """Record this run's sends before any responder sends (see ``hunting.pipeline.respond``)."""
        self._outbox.prepare(findings, is_suspicious)

    def send(self, findings: Sequence[Finding]) -> ResponderOutcome:
        """Create or update an incident per suspicious finding with new activity."""
        return deliver_each(self._outbox, self._outbox.due(findings, is_suspicious), self._upsert)

    def _upsert(self, delivery: Delivery) -> Target:
        raise NotImplementedError


def is_suspicious(finding: Finding) -> bool:
    return finding.verdict is Verdict.SUSPICIOUS  # incidents are for suspicious findings only
