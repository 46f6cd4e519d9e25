"""A fake Microsoft Sentinel incidents API (ARM, Microsoft.SecurityInsights, contracts.md §4).

    GET  {workspace}/providers/Microsoft.SecurityInsights/incidents/{id}?api-version=2025-09-01
    PUT  .../incidents/{id}                      -> 201 created / 200 updated (etag checked: stale -> 412)
    PUT  .../incidents/{id}/comments/{commentId} -> 201 created / 200 updated; 404 for an unknown incident

It checks the bearer token and api-version, rejects a PUT without title, severity
or status (400, ARM's CloudError shape), keeps every incident and comment, and
lets a test play the analyst (``analyst_edit``) to make the client's etag stale.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections import Counter
from typing import Any

from .faults import FaultInjection
from .threaded import FakeService, Reply, Request

API_VERSION = "2025-09-01"
_PATH = re.compile(r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
                   r"Microsoft\.OperationalInsights/workspaces/(?P<ws>[^/]+)/providers/Microsoft\.SecurityInsights/"
                   r"incidents/(?P<id>[0-9a-fA-F-]{36})(?:/comments/(?P<comment>[0-9a-fA-F-]{36}))?$")
_WRITABLE = {"title", "description", "severity", "status", "classification", "classificationReason",
             "classificationComment", "owner", "labels", "firstActivityTimeUtc", "lastActivityTimeUtc"}
SEVERITIES = {"High", "Medium", "Low", "Informational"}
STATUSES = {"New", "Active", "Closed"}


class FakeSentinel(FaultInjection, FakeService):
    def __init__(self, *, token: str = "test-token", **kwargs: Any):
        super().__init__(**kwargs)
        self.token = token
        self.incidents: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, dict[str, str]] = {}  # incident id -> comment id -> message
        self.created: Counter[str] = Counter()  # incident id -> 201s
        self.comments_created: Counter[str] = Counter()  # comment id -> 201s
        self.created_with: dict[str, dict[str, Any]] = {}  # incident id -> properties of the creating PUT
        self._numbers = itertools.count(3177)

    def analyst_edit(self, incident_id: str, **properties: Any) -> None:
        """Change an incident as a person in the portal would: its etag changes."""
        with self._lock:
            incident = self.incidents[incident_id]
            incident["properties"].update(properties)
            incident["etag"] = _etag()

    def handle(self, request: Request) -> Reply:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(401, "AuthenticationFailed", "missing or invalid bearer token")
        if request.query.get("api-version") != API_VERSION:
            return _error(400, "InvalidApiVersionParameter", "unsupported api-version")
        match = _PATH.match(request.path)
        if not match:
            return _error(404, "ResourceNotFound", "no such resource")
        incident_id, comment_id = match["id"].lower(), (match["comment"] or "").lower()
        with self._lock:
            incident = self.incidents.get(incident_id)
            if comment_id:
                return self._comment(request, incident_id, comment_id, incident is not None)
            if request.method == "GET":
                return Reply(200, incident) if incident else _error(404, "NotFound", "incident not found")
            if request.method == "PUT":
                return self._put(request, match, incident_id, incident)
        return _error(405, "MethodNotAllowed", request.method)

    def _put(self, request: Request, match: re.Match[str], incident_id: str, incident: dict | None) -> Reply:
        try:
            body = request.json()
            properties = body["properties"]
        except (ValueError, KeyError, TypeError):
            return _error(400, "BadRequest", "body must be {'properties': {...}}")
        missing = [p for p in ("title", "severity", "status") if not properties.get(p)]
        if missing:
            return _error(400, "BadRequest", f"missing required properties: {', '.join(missing)}")
        if properties["severity"] not in SEVERITIES or properties["status"] not in STATUSES:
            return _error(400, "BadRequest", "invalid severity or status")
        if incident is not None and body.get("etag") not in (None, incident["etag"]):
            return _error(412, "PreconditionFailed", "the etag does not match the incident's")
        kept = {k: v for k, v in properties.items() if k in _WRITABLE}
        if incident is None:
            number = next(self._numbers)
            incident = {
                "id": request.path, "name": incident_id, "type": "Microsoft.SecurityInsights/incidents",
                "etag": _etag(),
                "properties": {**kept, "incidentNumber": number,
                               "incidentUrl": "https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/"
                                              f"Incident{request.path}",
                               "providerName": "Azure Sentinel", "providerIncidentId": str(number),
                               "additionalData": {"alertsCount": 0, "bookmarksCount": 0, "commentsCount": 0}},
            }
            self.incidents[incident_id] = incident
            self.created[incident_id] += 1
            self.created_with.setdefault(incident_id, dict(kept))
            return Reply(201, incident)
        incident["properties"].update(kept)
        incident["etag"] = _etag()
        return Reply(200, incident)

    def _comment(self, request: Request, incident_id: str, comment_id: str, exists: bool) -> Reply:
        if not exists:
            return _error(404, "NotFound", "incident not found")
        if request.method != "PUT":
            return _error(405, "MethodNotAllowed", request.method)
        try:
            message = request.json()["properties"]["message"]
        except (ValueError, KeyError, TypeError):
            return _error(400, "BadRequest", "body must be {'properties': {'message': ...}}")
        comments = self.comments.setdefault(incident_id, {})
        status = 200 if comment_id in comments else 201
        comments[comment_id] = message
        if status == 201:
            self.comments_created[comment_id] += 1
            self.incidents[incident_id]["properties"]["additionalData"]["commentsCount"] += 1
        return Reply(status, {"id": f"{request.path}", "name": comment_id, "etag": _etag(),
                              "type": "Microsoft.SecurityInsights/incidents/comments",
                              "properties": {"message": message}})


def _etag() -> str:
    return f'"{uuid.uuid4()}"'


def _error(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"error": {"code": code, "message": message}})
