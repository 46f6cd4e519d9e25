"""The fake ServiceNow instance with journal fields and injectable faults, for the incident responder.

On a real instance ``work_notes`` is a journal field: each write appends an
entry (kept in ``sys_journal_field``) instead of replacing the value. This
subclass of ``FakeServiceNow`` keeps those entries in ``journal`` (sys_id ->
notes, in order) so tests can see a note written twice, and mixes in
``FaultInjection`` (500, 429, handled-then-dropped, handled-then-stalled).
"""

from __future__ import annotations

import re
from typing import Any

from .faults import FaultInjection
from .servicenow import FakeServiceNow
from .threaded import Reply, Request

_INCIDENT = re.compile(r"^/api/now(?:/v\d+)?/table/incident(?:/([0-9a-f]{32}))?$")


class FakeServiceNowIncidents(FaultInjection, FakeServiceNow):
    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.journal: dict[str, list[str]] = {}

    def handle(self, request: Request) -> Reply:
        match = _INCIDENT.match(request.path)
        note = None
        if match and request.method in ("POST", "PATCH", "PUT"):
            try:
                body = request.json()
                note = body.get("work_notes") if isinstance(body, dict) else None
            except ValueError:
                pass
        reply = super().handle(request)
        if note and reply.status in (200, 201):
            sys_id = match.group(1) or reply.body["result"]["sys_id"]  # type: ignore[union-attr,index]
            with self._lock:
                self.journal.setdefault(sys_id, []).append(str(note))
                record = self.find("incident", sys_id)
                if record is not None:
                    record["work_notes"] = ""  # reading a journal field gives nothing back
        return reply

    def incidents(self) -> list[dict[str, str]]:
        return self.records("incident")

    def delete_incident(self, sys_id: str) -> None:
        """Remove an incident as an admin would (the base fake has no DELETE)."""
        with self._lock:
            self.tables["incident"] = [r for r in self.records("incident") if r["sys_id"] != sys_id]
            getattr(self, "_by_id", {}).get("incident", {}).pop(sys_id, None)
