"""Change tickets from ServiceNow ``change_request``: one encoded query per run for all hit CIs and the window.

The query (split only where the CI list would make a URL too long) asks for
changes whose planned window overlaps the hunt's time range, in any state;
triage decides what covers. ServiceNow answers state codes and UTC
``YYYY-MM-DD HH:MM:SS`` strings; they become the names and aware datetimes of
the triage model. The CI reference is resolved to its FQDN (else its name) by
dot-walking, so a change for ``ws-0511.fabrikam.com`` never covers
``ws-0511.contoso.com``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any, Sequence

from hunting.http import bounded_map
from hunting.models import ChangeTicket, Device
from hunting.servicenow import ServiceNowClient, parse_servicenow_time, utc_query_time

from .servicenow_cmdb import ci_conditions, ci_name

if TYPE_CHECKING:
    from hunting.assemble import Context

log = logging.getLogger(__name__)

TABLE = "change_request"
FIELDS = ("sys_id", "number", "short_description", "state", "approval", "start_date", "end_date",
          "cmdb_ci.name", "cmdb_ci.fqdn", "assignment_group.name")
#: ServiceNow change_request state codes (contracts.md §5).
STATES = {"-5": "New", "-4": "Assess", "-3": "Authorize", "-2": "Scheduled", "-1": "Implement", "0": "Review",
          "3": "Closed", "4": "Canceled"}


class ServiceNowChanges:
    """Every change on the hit devices whose planned window overlaps [start, end]."""

    name = "servicenow"

    def __init__(self, client: ServiceNowClient, *, concurrency: int = 4):
        self._client = client
        self._concurrency = max(1, concurrency)

    @classmethod
    def from_context(cls, context: "Context") -> "ServiceNowChanges":
        settings = context.settings
        return cls(ServiceNowClient.shared(settings),
                   concurrency=int(settings.get_float("SERVICENOW_CONCURRENCY")))

    def list_changes(self, devices: Sequence[Device], start: datetime, end: datetime) -> list[ChangeTicket]:
        window = f"^start_date<={utc_query_time(end)}^end_date>={utc_query_time(start)}^ORDERBYstart_date"
        queries = [condition + window for condition in ci_conditions(devices, "cmdb_ci.name", "cmdb_ci.fqdn")]
        pages = bounded_map(self._concurrency, lambda q: self._client.list_records(TABLE, q, FIELDS), queries)
        tickets = {}
        for record in (r for page in pages for r in page):
            ticket = to_ticket(record)
            tickets.setdefault(ticket.number or str(record.get("sys_id")), ticket)
        return list(tickets.values())


def to_ticket(record: dict[str, Any]) -> ChangeTicket:
    """A change_request record as the triage model; an unreadable date is left out (it then covers nothing)."""
    number = str(record.get("number") or "")
    state = str(record.get("state") or "")
    return ChangeTicket(
        number=number,
        short_description=str(record.get("short_description") or ""),
        state=STATES.get(state, state),
        approval=str(record.get("approval") or "").replace("_", " ").lower(),
        start=_moment(record, "start_date", number),
        end=_moment(record, "end_date", number),
        cmdb_ci=ci_name(record.get("cmdb_ci.name"), record.get("cmdb_ci.fqdn")),
        assignment_group=str(record.get("assignment_group.name") or ""),
        source="servicenow",
    )


def _moment(record: dict[str, Any], field: str, number: str) -> datetime | None:
    try:
        return parse_servicenow_time(str(record.get(field) or ""))
    except ValueError:
        log.warning("servicenow change %s: unreadable %s %r; it covers no event", number, field,
                    str(record.get(field))[:40])
        return None
