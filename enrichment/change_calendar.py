"""Change windows from the workspace's ``changes.csv`` (ServiceNow change_request export shape)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from hunting.devices import names_match
from hunting.errors import InputError
from hunting.models import ChangeTicket, Device
from hunting.timeparse import parse_moment

from .csvfile import read_rows

if TYPE_CHECKING:
    from hunting.assemble import Context

COLUMNS = ("number", "short_description", "state", "approval", "start_date", "end_date", "cmdb_ci", "assignment_group")
STATES = ("New", "Assess", "Authorize", "Scheduled", "Implement", "Review", "Closed", "Canceled")
APPROVALS = ("approved", "requested", "rejected", "not requested")


class ChangeCalendar:
    """All rows are read and checked up front, so a bad row stops the run before any hunt."""

    name = "calendar"

    def __init__(self, path: Path):
        self._tickets: list[ChangeTicket] = []
        states = {s.lower(): s for s in STATES} | {"cancelled": "Canceled"}
        for line, row in read_rows(Path(path), COLUMNS):
            state = states.get(row["state"].lower())
            if state is None:
                raise InputError(f"state must be one of {', '.join(STATES)}, got {row['state']!r}", path=path, line=line)
            approval = row["approval"].lower()
            if approval not in APPROVALS:
                raise InputError(f"approval must be one of {', '.join(APPROVALS)}, got {row['approval']!r}",
                                 path=path, line=line)
            start, end = (_moment(row, column, path, line) for column in ("start_date", "end_date"))
            if start and end and end < start:
                raise InputError("end_date is before start_date", path=path, line=line)
            self._tickets.append(ChangeTicket(
                number=row["number"], short_description=row["short_description"], state=state,
                approval=approval, start=start, end=end, cmdb_ci=row["cmdb_ci"],
                assignment_group=row["assignment_group"], source=self.name))

    @classmethod
    def from_context(cls, context: "Context") -> "ChangeCalendar":
        return cls(context.require_workspace("the change calendar").changes)

    def list_changes(self, devices: Sequence[Device], start: datetime, end: datetime) -> list[ChangeTicket]:
        return [
            ticket for ticket in self._tickets
            if any(names_match(ticket.cmdb_ci, d.device_name) for d in devices)
            and (ticket.start is None or ticket.start <= end)
            and (ticket.end is None or ticket.end >= start)
        ]


def _moment(row: dict[str, str], column: str, path: Path, line: int) -> datetime | None:
    if not row[column]:
        return None
    try:
        return parse_moment(row[column])
    except ValueError as exc:
        raise InputError(f"{column}: {exc}", path=path, line=line) from None
