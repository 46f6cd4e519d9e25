"""Sentinel incidents through the SecurityInsights REST API (ARM), once per finding.

The incident id is a UUID derived from the dedup key (``notify.finding_uuid``),
so every run, retry or replay addresses the same incident: the responder GETs
it, creates it with a PUT when it does not exist, and otherwise updates it with
a PUT carrying the etag it just read (a stale etag, because an analyst edited
the incident meanwhile, re-reads and tries again). Analyst fields (status,
owner, classification, severity raised by hand, their labels) are kept.
New activity adds a comment whose id is derived from the activity, so a repeated
send overwrites the same comment instead of adding a second one. Values from
telemetry are HTML-escaped and bounded; the owner is left empty.

Token: ``azure-identity`` (managed identity in Azure), scope ``<ARM>/.default``;
role *Microsoft Sentinel Responder* on the workspace.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import quote

from hunting.errors import SourceError
from hunting.http import RetryableError, RetryPolicy, build_session, call_with_retry, request, require_https, retry_policy
from hunting.models import Finding, Severity, iso_z
from hunting.timeparse import parse_moment, utc_now

from .escaping import ticket_text
from .notify import Delivery, IncidentResponder, Outbox, Target, activity_uuid, finding_uuid
from .state import StateStore, open_state_store

if TYPE_CHECKING:
    from hunting.assemble import Context

API_VERSION = "2025-09-01"
SEVERITY = {Severity.INFORMATIONAL: "Informational", Severity.LOW: "Low", Severity.MEDIUM: "Medium",
            Severity.HIGH: "High"}
_RANK = {"Informational": 0, "Low": 1, "Medium": 2, "High": 3}
_WRITABLE = ("title", "description", "severity", "status", "classification", "classificationReason",
             "classificationComment", "owner", "labels", "firstActivityTimeUtc", "lastActivityTimeUtc")
_MAX_REASONS = 10
_NEVER = datetime(1970, 1, 1, tzinfo=timezone.utc)


class SentinelResponder(IncidentResponder):
    name = "sentinel"

    def __init__(self, *, subscription_id: str, resource_group: str, workspace: str, store: StateStore,
                 credential: Any, arm_endpoint: str = "https://management.azure.com",
                 policy: RetryPolicy = RetryPolicy(), clock: Callable[[], datetime] = utc_now):
        parts = require_https(arm_endpoint.rstrip("/"), "HUNT_SENTINEL_ARM_ENDPOINT")
        self._arm = f"{parts.scheme}://{parts.netloc}{parts.path}"
        self._scope = f"{self._arm}/.default"
        self._base = (f"{self._arm}/subscriptions/{quote(subscription_id, safe='')}/resourceGroups/"
                      f"{quote(resource_group, safe='')}/providers/Microsoft.OperationalInsights/workspaces/"
                      f"{quote(workspace, safe='')}/providers/Microsoft.SecurityInsights/incidents")
        self._credential = credential
        self._policy = policy
        self._session = build_session(4)
        self._outbox = Outbox(store, self.name, clock=clock)

    @classmethod
    def from_context(cls, context: "Context", *, credential: Any = None) -> "SentinelResponder":
        from hunting.credentials import default_credential

        settings = context.settings
        return cls(subscription_id=settings.require("HUNT_SENTINEL_SUBSCRIPTION_ID"),
                   resource_group=settings.require("HUNT_SENTINEL_RESOURCE_GROUP"),
                   workspace=settings.require("HUNT_SENTINEL_WORKSPACE"),
                   arm_endpoint=settings.get("HUNT_SENTINEL_ARM_ENDPOINT"), store=open_state_store(settings),
                   credential=credential or default_credential(), policy=retry_policy(settings))

    # -- one incident ---------------------------------------------------------------------------------

    def _upsert(self, delivery: Delivery) -> Target:
        finding = delivery.finding
        incident_id = str(finding_uuid(finding.dedup_key))
        url = f"{self._base}/{incident_id}"

        def put_incident() -> tuple[dict[str, Any] | None, dict[str, Any]]:
            existing = self._get(url)
            body: dict[str, Any] = {"properties": _properties(finding, existing)}
            if existing is not None:
                body["etag"] = existing.get("etag")
            response = self._call("PUT", url, json=body)
            if response.status_code in (409, 412):  # an analyst changed it since our GET: read again
                raise RetryableError(f"HTTP {response.status_code}: incident changed meanwhile",
                                     status=response.status_code)
            return existing, self._json(response, (200, 201))

        existing, incident = call_with_retry(self._policy, "sentinel incident", put_incident)
        if existing is not None and (delivery.new_activity or _last_activity(existing) < finding.last_seen):
            comment_id = activity_uuid(finding.dedup_key, finding.last_seen)
            self._json(self._call("PUT", f"{url}/comments/{comment_id}",
                                  json={"properties": {"message": _comment(finding)}}), (200, 201))
        props = incident.get("properties") or {}
        number = props.get("incidentNumber")
        return Target(id=incident_id, url=str(props.get("incidentUrl") or ""),
                      label=f"Sentinel incident {number}" if number else "Sentinel incident")

    def _get(self, url: str) -> dict[str, Any] | None:
        response = self._call("GET", url)
        if response.status_code == 404:
            return None
        return self._json(response, (200,))

    def _call(self, method: str, url: str, **kwargs: Any):
        try:
            token = self._credential.get_token(self._scope).token
        except Exception as exc:  # azure-identity raises several types; all mean "no token"
            raise SourceError("sentinel", f"cannot get an ARM token: {type(exc).__name__}") from None
        return request(self._session, method, url, policy=self._policy, what="sentinel incident",
                       params={"api-version": API_VERSION}, headers={"Authorization": f"Bearer {token}"}, **kwargs)

    @staticmethod
    def _json(response, ok: tuple[int, ...]) -> dict[str, Any]:
        if response.status_code not in ok:
            raise SourceError("sentinel", f"HTTP {response.status_code}{_arm_error(response)}")
        try:
            body = response.json()
        except ValueError:
            raise SourceError("sentinel", f"malformed JSON (HTTP {response.status_code})") from None
        if not isinstance(body, dict):
            raise SourceError("sentinel", "malformed answer: not an object")
        return body


# -- what the incident says -----------------------------------------------------------------------------


def _properties(finding: Finding, existing: dict[str, Any] | None) -> dict[str, Any]:
    ours = {
        "title": ticket_text(f"RMM tool {finding.remote_url} on {finding.device_name}", 250),
        "description": _description(finding),
        "severity": SEVERITY[finding.severity],
        "status": "New",
        "firstActivityTimeUtc": iso_z(finding.first_seen),
        "lastActivityTimeUtc": iso_z(finding.last_seen),
        "labels": [{"labelName": name, "labelType": "User"}
                   for name in dict.fromkeys((finding.hunt_id, *(finding.techniques or ("T1219",)), "T1219"))],
    }
    if existing is None:
        return ours
    current = {k: v for k, v in (existing.get("properties") or {}).items() if k in _WRITABLE and v is not None}
    merged = {**current, "description": ours["description"]}
    merged["severity"] = max(current.get("severity", ours["severity"]), ours["severity"], key=lambda s: _RANK.get(s, 0))
    merged["lastActivityTimeUtc"] = iso_z(max(_last_activity(existing), finding.last_seen))
    merged.setdefault("firstActivityTimeUtc", ours["firstActivityTimeUtc"])
    merged.setdefault("title", ours["title"])
    merged.setdefault("status", ours["status"])
    user_labels = [label for label in current.get("labels", []) if label.get("labelType") != "AutoAssigned"]
    names = {label.get("labelName") for label in user_labels}
    merged["labels"] = user_labels + [label for label in ours["labels"] if label["labelName"] not in names]
    return merged


def _description(finding: Finding) -> str:
    owner = finding.owner
    who = f"{owner.name} ({owner.upn}), {owner.team}, from {owner.source}" if owner else "unknown"
    reasons = "".join(f"<li>{ticket_text(r, 300)}</li>" for r in finding.reasons[:_MAX_REASONS])
    more = f"<li>… and {len(finding.reasons) - _MAX_REASONS} more</li>" if len(finding.reasons) > _MAX_REASONS else ""
    return (
        f"<p>Hunt <b>{ticket_text(finding.hunt_name, 200)}</b> ({ticket_text(finding.hunt_id, 60)}) found "
        f"{finding.count} connection(s) to a remote management tool.</p>"
        f"<p>Device: {ticket_text(finding.device_name, 150)} (Defender id {ticket_text(finding.device_id, 80)})<br>"
        f"Remote URL: {ticket_text(finding.remote_url, 300)}<br>"
        f"Owner: {ticket_text(who, 250)}<br>"
        f"First seen: {iso_z(finding.first_seen)}, last seen: {iso_z(finding.last_seen)}<br>"
        f"Change tickets: {ticket_text(', '.join(finding.change_tickets) or 'none', 300)}</p>"
        f"<p>Why it is suspicious:</p><ul>{reasons}{more}</ul>"
    )


def _comment(finding: Finding) -> str:
    reasons = "".join(f"<li>{ticket_text(r, 300)}</li>" for r in finding.reasons[:_MAX_REASONS])
    return (f"<p>New activity up to {iso_z(finding.last_seen)}: {finding.count} connection(s) since "
            f"{iso_z(finding.first_seen)}.</p><ul>{reasons}</ul>")


def _last_activity(incident: dict[str, Any]) -> datetime:
    value = (incident.get("properties") or {}).get("lastActivityTimeUtc")
    try:
        return parse_moment(value) if value else _NEVER
    except ValueError:
        return _NEVER


def _arm_error(response) -> str:
    """ARM's error code (never the message, which can echo request content), if it gave one."""
    try:
        code = response.json().get("error", {}).get("code")
    except (ValueError, AttributeError):
        return ""
    return f" ({str(code)[:60]})" if code else ""
