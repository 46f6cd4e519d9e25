"""Adaptive Cards (version 1.4) for Teams, built from findings.

Version 1.4 because cards declaring 1.5 posted through a Workflows webhook do not
render (contracts.md §3); only 1.4 elements are used (TextBlock, FactSet,
Container, Action.OpenUrl). Every telemetry value goes through
``responders.escaping`` (bounded, Markdown-escaped, URLs defanged); links in
``actions`` are only ones we build (Defender device page, the incident).
A post stays under ``MAX_MESSAGE_BYTES``: Teams rejects messages over ~28 KB.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Sequence
from urllib.parse import quote

from hunting.models import Finding, Verdict, iso_z

from .escaping import card_text, card_url
from .state import record_id

CARD_VERSION = "1.4"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
MAX_MESSAGE_BYTES = 25_000
DEFENDER_DEVICE_URL = "https://security.microsoft.com/machines/v2/{device_id}/overview"
_MAX_REASONS = 8
_MAX_TICKETS = 10
_STYLE = {Verdict.SUSPICIOUS: "attention", Verdict.MAINTENANCE: "good", Verdict.SUPPRESSED: "emphasis"}


@dataclass(frozen=True)
class Link:
    """A link we built (never one from telemetry): shown as a button or inline in a digest line."""

    title: str
    url: str


def element_id(finding: Finding) -> str:
    """The card element id of a finding: stable per dedup key, so a reader can tell cards apart."""
    return "finding-" + record_id(finding.dedup_key)[:16]


def defender_link(finding: Finding) -> Link | None:
    if not finding.device_id:
        return None
    return Link("Defender device page", DEFENDER_DEVICE_URL.format(device_id=quote(finding.device_id, safe="")))


def message(card: dict[str, Any]) -> dict[str, Any]:
    """The envelope a Workflows "post to a channel when a webhook request is received" flow expects."""
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}


def message_bytes(card: dict[str, Any]) -> int:
    return len(json.dumps(message(card), ensure_ascii=False).encode("utf-8"))


def finding_card(finding: Finding, links: Sequence[Link] = ()) -> dict[str, Any]:
    """One finding in full: verdict and severity, hunt and technique, device, owner, times, reasons, links."""
    techniques = ", ".join(finding.techniques) or "T1219"
    header = {
        "type": "Container", "id": element_id(finding), "style": _STYLE[finding.verdict], "bleed": True,
        "items": [
            {"type": "TextBlock", "text": f"{finding.verdict.value.upper()} · severity {finding.severity.value}",
             "weight": "Bolder", "size": "Small", "wrap": True,
             "color": "Attention" if finding.verdict is Verdict.SUSPICIOUS else "Good"},
            {"type": "TextBlock", "text": card_text(finding.hunt_name, 150), "weight": "Bolder", "size": "Medium",
             "wrap": True},
            {"type": "TextBlock", "text": f"{card_text(techniques, 60)} · {card_text(finding.device_name, 120)}",
             "isSubtle": True, "spacing": "None", "wrap": True},
        ],
    }
    facts = [
        ("Device", card_text(finding.device_name, 120)),
        ("Device ID", card_text(finding.device_id or "unknown", 80)),
        ("Owner", _owner(finding)),
        ("Remote URL", card_url(finding.remote_url, 200)),
        ("First seen", iso_z(finding.first_seen)),
        ("Last seen", iso_z(finding.last_seen)),
        ("Connections", str(finding.count)),
        ("Change tickets", _listed(finding.change_tickets)),
    ]
    if finding.suppression_ids:
        facts.append(("Suppressions", _listed(finding.suppression_ids)))
    body: list[dict[str, Any]] = [
        header,
        {"type": "FactSet", "facts": [{"title": title, "value": value} for title, value in facts]},
        {"type": "TextBlock", "text": "Why", "weight": "Bolder", "wrap": True},
    ]
    reasons = finding.reasons[:_MAX_REASONS] or ("no reason recorded",)
    body += [{"type": "TextBlock", "text": "• " + card_text(reason, 300), "wrap": True, "spacing": "Small"}
             for reason in reasons]
    if len(finding.reasons) > _MAX_REASONS:
        body.append({"type": "TextBlock", "text": f"… and {len(finding.reasons) - _MAX_REASONS} more",
                     "isSubtle": True, "wrap": True})
    all_links = [link for link in (defender_link(finding), *links) if link]
    return _card(body, all_links, fallback=f"{finding.verdict.value} RMM activity on a device")


def digest_cards(title: str, findings: Sequence[Finding], links: dict[tuple[str, str, str], Sequence[Link]],
                 *, max_bytes: int = MAX_MESSAGE_BYTES) -> list[tuple[dict[str, Any], list[Finding]]]:
    """Findings as one line each, split over as many cards as it takes to keep each post under ``max_bytes``."""
    cards: list[tuple[dict[str, Any], list[Finding]]] = []
    lines: list[dict[str, Any]] = []
    members: list[Finding] = []
    for finding in findings:
        line = _digest_line(finding, links.get(finding.dedup_key, ()))
        if members and message_bytes(_digest(title, [*lines, line], len(members) + 1)) > max_bytes:
            cards.append((_digest(title, lines, len(members)), members))
            lines, members = [], []
        lines.append(line)
        members.append(finding)
    if members:
        cards.append((_digest(title, lines, len(members)), members))
    return cards


def _digest(title: str, lines: list[dict[str, Any]], count: int) -> dict[str, Any]:
    header = {"type": "TextBlock", "text": f"{title} ({count})", "weight": "Bolder", "size": "Medium", "wrap": True}
    return _card([header, *lines], [], fallback=f"{title} ({count})")


def _digest_line(finding: Finding, links: Sequence[Link]) -> dict[str, Any]:
    parts = [
        f"**{finding.verdict.value.upper()}** {finding.severity.value}",
        card_text(finding.device_name, 80),
        "→ " + card_url(finding.remote_url, 100),
        f"{finding.count} conn., last {iso_z(finding.last_seen)}",
    ]
    if finding.verdict is not Verdict.SUSPICIOUS:
        parts.append(_listed((*finding.change_tickets, *finding.suppression_ids)))
    parts += [f"[{card_text(link.title, 60)}]({_link_target(link.url)})"
              for link in (defender_link(finding), *links) if link]
    return {"type": "TextBlock", "id": element_id(finding), "text": " · ".join(parts), "wrap": True,
            "spacing": "Small"}


def _card(body: list[dict[str, Any]], links: Sequence[Link], *, fallback: str) -> dict[str, Any]:
    card: dict[str, Any] = {"$schema": CARD_SCHEMA, "type": "AdaptiveCard", "version": CARD_VERSION, "body": body,
                            "fallbackText": fallback}
    if links:
        card["actions"] = [{"type": "Action.OpenUrl", "title": link.title, "url": link.url} for link in links]
    return card


def _owner(finding: Finding) -> str:
    owner = finding.owner
    if owner is None:
        return "unknown"
    who = owner.name or owner.upn
    if owner.name and owner.upn:
        who = f"{owner.name} ({owner.upn})"
    team = f" · {owner.team}" if owner.team else ""
    return card_text(f"{who}{team}", 150)


def _listed(values: Sequence[str]) -> str:
    if not values:
        return "none"
    shown = ", ".join(card_text(v, 40) for v in values[:_MAX_TICKETS])
    return shown + (f" (+{len(values) - _MAX_TICKETS} more)" if len(values) > _MAX_TICKETS else "")


def _link_target(url: str) -> str:
    """A URL we built, made safe inside a Markdown link target."""
    return quote(url, safe=":/?#=&%.-_~@+,;!*'$")
