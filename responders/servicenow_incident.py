"""ServiceNow incidents through the Table API: created once per finding, a work note per new activity.

Exactly once without a transaction on the other side:

* The incident carries ``correlation_id`` = the UUID derived from the dedup key
  (``notify.finding_uuid``), so it can always be found again; its sys_id is
  also kept in the state store.
* ``correlation_display`` holds the last activity written (``rmm-hunt <last_seen>``)
  and is set in the same PATCH as the work note, so a later attempt sees
  whether the note is already there.
* Writes (POST, PATCH) are made once, never blindly retried: a failed or
  unanswered write is checked by reading the incident back (found by
  correlation id / marker), and only if it did not happen does the send stay
  pending for the next run. Reads are retried as usual.

Telemetry values are HTML-escaped (ServiceNow renders ``[code]`` blocks in
journals and puts fields into HTML e-mails) and bounded.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

from hunting.errors import SourceError
from hunting.models import Finding, Severity, iso_z
from hunting.settings import Settings
from hunting.timeparse import parse_moment, utc_now

from .escaping import ticket_text
from .notify import Delivery, IncidentResponder, Outbox, Target, finding_uuid
from .state import StateStore, open_state_store

if TYPE_CHECKING:
    from hunting.assemble import Context
    from hunting.servicenow import ServiceNowClient

TABLE = "incident"
MARKER = "rmm-hunt "
FIELDS = ("sys_id", "number", "correlation_id", "correlation_display")
#: severity -> (urgency, impact); with ServiceNow's default matrix high gives priority 2, medium 3, low 4.
URGENCY_IMPACT = {Severity.HIGH: ("1", "2"), Severity.MEDIUM: ("2", "2"), Severity.LOW: ("3", "2"),
                  Severity.INFORMATIONAL: ("3", "3")}
_MAX_REASONS = 10


class ServiceNowIncidentResponder(IncidentResponder):
    name = "servicenow"

    def __init__(self, client: "ServiceNowClient", write_client: "ServiceNowClient", store: StateStore, *,
                 assignment_group: str = "", clock: Callable[[], datetime] = utc_now):
        self._client = client  # reads: retried
        self._writes = write_client  # writes: one attempt each, checked by reading back
        self._assignment_group = assignment_group
        self._outbox = Outbox(store, self.name, clock=clock)

    @classmethod
    def from_context(cls, context: "Context") -> "ServiceNowIncidentResponder":
        from hunting.servicenow import ServiceNowClient

        settings = context.settings
        once = Settings({**settings.values, "HUNT_HTTP_RETRY_ATTEMPTS": "1"})
        return cls(ServiceNowClient.from_settings(settings), ServiceNowClient.from_settings(once),
                   open_state_store(settings), assignment_group=settings.get("SERVICENOW_INCIDENT_ASSIGNMENT_GROUP"))

    def _upsert(self, delivery: Delivery) -> Target:
        finding = delivery.finding
        correlation = str(finding_uuid(finding.dedup_key))
        incident = self._known(delivery.record.target_id) or self._find(correlation)
        if incident is None:
            incident = self._write(lambda: self._writes.create_record(TABLE, self._new_incident(finding, correlation)),
                                   lambda: self._find(correlation))
        elif _marked(incident) < finding.last_seen:
            sys_id = incident["sys_id"]
            marker = MARKER + iso_z(finding.last_seen)
            self._write(lambda: self._writes.update_record(TABLE, sys_id, {"work_notes": _work_note(finding),
                                                                           "correlation_display": marker}),
                        lambda: self._applied(sys_id, finding.last_seen))
        return Target(id=incident["sys_id"], url=self._url(incident["sys_id"]),
                      label=f"ServiceNow {incident.get('number') or 'incident'}")

    # -- reading back -----------------------------------------------------------------------------------

    def _known(self, sys_id: str) -> dict[str, Any] | None:
        from hunting.servicenow import ServiceNowError

        if not sys_id:
            return None
        try:
            return self._client.get_record(TABLE, sys_id, FIELDS)
        except ServiceNowError as exc:
            if exc.status == 404:
                return None  # deleted: find it by correlation id, or open a new one
            raise

    def _find(self, correlation: str) -> dict[str, Any] | None:
        found = self._client.list_records(TABLE, f"correlation_id={correlation}^ORDERBYsys_created_on", FIELDS)
        return found[0] if found else None

    def _applied(self, sys_id: str, last_seen: datetime) -> dict[str, Any] | None:
        incident = self._known(sys_id)
        return incident if incident and _marked(incident) >= last_seen else None

    @staticmethod
    def _write(write: Callable[[], dict[str, Any]], check: Callable[[], dict[str, Any] | None]) -> dict[str, Any]:
        """One attempt at a write; if it seems to fail, whether it happened is read back, not guessed."""
        try:
            return write()
        except SourceError as failure:
            done = check()
            if done is None:
                raise failure from None
            return done

    # -- what the incident says -------------------------------------------------------------------------

    def _new_incident(self, finding: Finding, correlation: str) -> dict[str, str]:
        urgency, impact = URGENCY_IMPACT[finding.severity]
        body = {
            "short_description": ticket_text(f"RMM tool {finding.remote_url} on {finding.device_name}", 160),
            "description": _description(finding),
            "urgency": urgency,
            "impact": impact,
            "correlation_id": correlation,
            "correlation_display": MARKER + iso_z(finding.last_seen),
        }
        if self._assignment_group:
            body["assignment_group"] = self._assignment_group
        return body

    def _url(self, sys_id: str) -> str:
        return f"{self._client.base_url}/nav_to.do?uri=incident.do%3Fsys_id%3D{sys_id}"


def _marked(incident: dict[str, Any]) -> datetime:
    """The last activity the incident already reports, from its ``correlation_display`` marker."""
    value = str(incident.get("correlation_display") or "")
    try:
        return parse_moment(value[len(MARKER):]) if value.startswith(MARKER) else _NEVER
    except ValueError:
        return _NEVER


_NEVER = parse_moment("1970-01-01T00:00:00Z")


def _description(finding: Finding) -> str:
    owner = finding.owner
    who = f"{owner.name} ({owner.upn}), {owner.team}, from {owner.source}" if owner else "unknown"
    lines = [
        f"Hunt: {ticket_text(finding.hunt_name, 200)} ({ticket_text(finding.hunt_id, 60)}), MITRE T1219",
        f"Device: {ticket_text(finding.device_name, 150)} (Defender id {ticket_text(finding.device_id, 80)})",
        f"Remote URL: {ticket_text(finding.remote_url, 300)}",
        f"Owner: {ticket_text(who, 250)}",
        f"Connections: {finding.count}, first seen {iso_z(finding.first_seen)}, last seen {iso_z(finding.last_seen)}",
        f"Change tickets: {ticket_text(', '.join(finding.change_tickets) or 'none', 300)}",
        "Why it is suspicious:",
        *(f"- {ticket_text(r, 300)}" for r in finding.reasons[:_MAX_REASONS]),
    ]
    return "\n".join(lines)


def _work_note(finding: Finding) -> str:
    reasons = "\n".join(f"- {ticket_text(r, 300)}" for r in finding.reasons[:_MAX_REASONS])
    return (f"New activity up to {iso_z(finding.last_seen)}: {finding.count} connection(s) since "
            f"{iso_z(finding.first_seen)}.\n{reasons}")
