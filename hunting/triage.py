"""Triage: from a hit, its events and what enrichment learned, to a verdict with reasons.

The rules are design.md's, judged one event at a time:

1. the events are the hunt's own, fetched by the drill-down;
2. device names match case-insensitively, short name = FQDN host label;
3. an approved change in Scheduled/Implement/Review/Closed on the device covers
   the events inside its window;
4. an unexpired suppression rule for the hunt (or "*") covers the events it matches;
5. all events covered -> maintenance (if any change covers one) or suppressed;
   otherwise suspicious, saying which events were not explained;
6. a failed lookup or incomplete data -> suspicious, saying what failed;
7. explained -> informational; suspicious -> the hunt's severity, high when the
   owner is unknown or the device is high/critical.

Every reason an analyst needs to trust the verdict goes into ``reasons``.
"""

from __future__ import annotations

import fnmatch
import ipaddress
from datetime import datetime
from typing import Sequence

from .devices import host_label, names_match
from .models import ChangeTicket, Enrichment, Event, Finding, Hit, Severity, SuppressionRule, Verdict, iso_z

COVERING_STATES = frozenset({"Scheduled", "Implement", "Review", "Closed"})
HIGH_CRITICALITY = frozenset({"high", "critical"})


def change_covers(ticket: ChangeTicket, event: Event) -> bool:
    """Rule 3."""
    return (
        ticket_can_cover(ticket)
        and names_match(ticket.cmdb_ci, event.device_name)
        and ticket.start is not None
        and ticket.end is not None
        and ticket.start <= event.timestamp <= ticket.end
    )


def ticket_can_cover(ticket: ChangeTicket) -> bool:
    return ticket.approval == "approved" and ticket.state in COVERING_STATES


def rule_matches(rule: SuppressionRule, event: Event) -> bool:
    """Whether every field the rule gives matches the event (names case-insensitive)."""
    if rule.device_name and not _device_glob(rule.device_name, event.device_name):
        return False
    if rule.remote_url and not _glob(rule.remote_url, event.remote_url):
        return False
    if rule.process_name and not _glob(rule.process_name, event.process_name):
        return False
    if rule.account_name and not _glob(rule.account_name, event.account_name):
        return False
    if rule.remote_ip and not _in_networks(event.remote_ip, rule.remote_ip):
        return False
    if rule.remote_port and event.remote_port not in rule.remote_port:
        return False
    return True


def _glob(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase((value or "").lower(), pattern.lower())


def _device_glob(pattern: str, device_name: str) -> bool:
    """A pattern without a dot is about the host label, like rule 2's short names."""
    if "." in pattern:
        return _glob(pattern, device_name)
    return _glob(pattern, host_label(device_name or ""))


def _in_networks(ip: str, networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return False
    return any(address.version == net.version and address in net for net in networks)


def _window(ticket: ChangeTicket) -> str:
    start = iso_z(ticket.start) if ticket.start else "?"
    end = iso_z(ticket.end) if ticket.end else "?"
    return f"{start}..{end}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def triage(hit: Hit, enrichment: Enrichment, suppressions: Sequence[SuppressionRule], now: datetime) -> Finding:
    """The finding for one hit: verdict, severity and the reasons for both."""
    events = hit.events
    total = len(events)
    device_changes = [t for t in enrichment.changes if names_match(t.cmdb_ci, hit.device.device_name)]
    covering_changes = [t for t in device_changes if ticket_can_cover(t)]
    live_rules = [r for r in suppressions if r.hunt in ("*", hit.hunt.id) and now < r.expires]

    # Events are tracked by position: two identical rows are still two connections.
    by_change = {t.number: [i for i, e in enumerate(events) if change_covers(t, e)] for t in covering_changes}
    by_rule = {r.id: [i for i, e in enumerate(events) if rule_matches(r, e)] for r in live_rules}
    covered_by_change = {i for hits in by_change.values() for i in hits}
    covered_by_rule = {i for hits in by_rule.values() for i in hits}
    uncovered = [e for i, e in enumerate(events) if i not in covered_by_change and i not in covered_by_rule]
    change_tickets = tuple(sorted(n for n, hits in by_change.items() if hits))
    suppression_ids = tuple(sorted(i for i, hits in by_rule.items() if hits))

    reasons: list[str] = []
    blockers: list[str] = []  # what keeps a fully covered hit from being explained
    for failure in enrichment.failures:
        blockers.append(f"lookup failed, verdict left open: {failure}")
    if hit.partial:
        blockers.append(f"query returned partial results, verdict left open: {hit.partial}")
    if total != hit.count:
        blockers.append(f"drill-down found {total} of the {hit.count} connections the hunt counted")

    for number in change_tickets:
        ticket = next(t for t in covering_changes if t.number == number)
        inside = len(by_change[number])
        reasons.append(f"{inside} of {total} connections inside approved change {number} "
                       f"({ticket.state}, window {_window(ticket)}): {ticket.short_description}")
    for rule_id in suppression_ids:
        rule = next(r for r in live_rules if r.id == rule_id)
        reasons.append(f"{len(by_rule[rule_id])} of {total} connections match suppression {rule_id} "
                       f"(owner {rule.owner}, expires {iso_z(rule.expires)}): {rule.reason}")
    reasons.extend(_near_misses(hit, device_changes, suppressions, now))

    explained = total > 0 and not uncovered and not blockers
    if explained:
        verdict = Verdict.MAINTENANCE if covered_by_change else Verdict.SUPPRESSED
        severity = Severity.INFORMATIONAL
    else:
        verdict = Verdict.SUSPICIOUS
        if uncovered:
            reasons.insert(0, _uncovered_reason(uncovered, total, change_tickets))
        reasons[:0] = blockers
        severity, why = _severity(hit, enrichment)
        reasons.extend(why)
    reasons.extend(enrichment.notes)

    return Finding(
        hunt_id=hit.hunt.id,
        hunt_name=hit.hunt.name,
        device_id=hit.device.device_id,
        device_name=hit.device.device_name,
        remote_url=hit.remote_url,
        first_seen=hit.first_seen,
        last_seen=hit.last_seen,
        count=hit.count,
        report_ids=hit.report_ids,
        verdict=verdict,
        severity=severity,
        owner=enrichment.owner,
        change_tickets=change_tickets,
        suppression_ids=suppression_ids,
        reasons=tuple(reasons),
        techniques=hit.hunt.techniques,
        events=events,
    )


def _uncovered_reason(uncovered: list[Event], total: int, tickets: Sequence[str]) -> str:
    first = min(e.timestamp for e in uncovered)
    last = max(e.timestamp for e in uncovered)
    span = iso_z(first) if first == last else f"{iso_z(first)}..{iso_z(last)}"
    if tickets:
        where = f"outside {', '.join(tickets)} window" + ("s" if len(tickets) > 1 else "")
    else:
        where = "not covered by any approved change or suppression"
    return f"{len(uncovered)} of {_plural(total, 'connection')} {where} ({span})"


def _near_misses(hit: Hit, device_changes: Sequence[ChangeTicket], rules: Sequence[SuppressionRule],
                 now: datetime) -> list[str]:
    """Changes and rules that would have explained events but cannot: the first thing an analyst asks."""
    notes = []
    for ticket in device_changes:
        if ticket.approval != "approved":
            notes.append(f"change {ticket.number} on this device is not approved ({ticket.approval})")
        elif ticket.state not in COVERING_STATES:
            notes.append(f"change {ticket.number} on this device is in state {ticket.state}")
    for rule in rules:
        if not any(rule_matches(rule, e) for e in hit.events):
            continue
        if rule.hunt not in ("*", hit.hunt.id):
            notes.append(f"suppression {rule.id} matches but is for hunt {rule.hunt} only")
        elif now >= rule.expires:
            notes.append(f"suppression {rule.id} matches but expired {iso_z(rule.expires)}")
    return notes


def _severity(hit: Hit, enrichment: Enrichment) -> tuple[Severity, list[str]]:
    owner = enrichment.owner
    if owner is None:
        return Severity.HIGH, [f"severity high: no ownership source knows {hit.device.device_name}"]
    if owner.criticality in HIGH_CRITICALITY:
        return Severity.HIGH, [f"severity high: device criticality is {owner.criticality}"]
    return hit.hunt.severity, []
