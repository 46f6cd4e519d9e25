"""Responders: where findings go. One module and one class per target, one registry.

A responder has a ``name`` and ``send(findings) -> ResponderOutcome``; the
pipeline calls each inside its own ``except`` so one dead service never stops
the others. Entries are "module:Class" strings so heavy clients load lazily.
"""

from __future__ import annotations

RESPONDERS: dict[str, str] = {
    "console": "responders.console:ConsoleResponder",
    "jsonl": "responders.jsonl:JsonlResponder",
    "sentinel": "responders.sentinel:SentinelResponder",
    "servicenow": "responders.servicenow_incident:ServiceNowIncidentResponder",
    "teams": "responders.teams:TeamsResponder",
}
