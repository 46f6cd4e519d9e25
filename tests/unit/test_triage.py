"""Triage rules 2-7 (design.md), one test per rule and per tricky case."""

from __future__ import annotations

from hunting.models import ChangeTicket, Enrichment, Severity, Verdict
from hunting.triage import triage
from tests.builders import NOW, enrichment, event, hit, hunt, owner, rule, ticket, utc

INSIDE = "2026-12-02T01:00:00Z"
LATER = "2026-12-02T06:00:00Z"


def test_no_change_and_no_rule_is_suspicious_with_hunt_severity():
    finding = triage(hit(event(INSIDE)), enrichment(), [], NOW)
    assert finding.verdict is Verdict.SUSPICIOUS
    assert finding.severity is Severity.MEDIUM
    assert finding.reasons[0].startswith("1 of 1 connection not covered by any approved change or suppression")


def test_approved_scheduled_change_covering_every_event_is_maintenance():
    finding = triage(hit(event(INSIDE), event("2026-12-02T03:59:59Z")), enrichment(ticket()), [], NOW)
    assert finding.verdict is Verdict.MAINTENANCE
    assert finding.severity is Severity.INFORMATIONAL
    assert finding.change_tickets == ("CHG0030001",)
    assert "2 of 2 connections inside approved change CHG0030001" in finding.reasons[0]


def test_window_edges_are_inclusive():
    finding = triage(hit(event("2026-12-02T00:00:00Z"), event("2026-12-02T04:00:00Z")), enrichment(ticket()), [], NOW)
    assert finding.verdict is Verdict.MAINTENANCE


def test_change_for_short_cmdb_name_covers_fqdn_device():
    finding = triage(hit(event(INSIDE, device="ws-0142.contoso.com")), enrichment(ticket(ci="WS-0142")), [], NOW)
    assert finding.verdict is Verdict.MAINTENANCE


def test_change_for_fqdn_cmdb_name_covers_short_device_name():
    finding = triage(hit(event(INSIDE, device="WS-0142")), enrichment(ticket(ci="ws-0142.contoso.com")), [], NOW)
    assert finding.verdict is Verdict.MAINTENANCE


def test_change_for_same_host_in_other_domain_does_not_cover():
    finding = triage(hit(event(INSIDE, device="ws-0142.contoso.com")),
                     enrichment(ticket(ci="ws-0142.fabrikam.com")), [], NOW)
    assert finding.verdict is Verdict.SUSPICIOUS
    assert finding.change_tickets == ()


def test_partial_coverage_is_suspicious_and_names_the_ticket_that_almost_explained_it():
    finding = triage(hit(event(INSIDE, report="1"), event(LATER, report="2"), event(LATER.replace("06", "07"), report="3")),
                     enrichment(ticket()), [], NOW)
    assert finding.verdict is Verdict.SUSPICIOUS
    assert finding.change_tickets == ("CHG0030001",)
    assert finding.reasons[0].startswith("2 of 3 connections outside CHG0030001 window")


def test_two_windows_covering_together_explain_the_hit():
    first = ticket("CHG0030001", start="2026-12-02T00:00:00Z", end="2026-12-02T02:00:00Z")
    second = ticket("CHG0030002", start="2026-12-02T05:00:00Z", end="2026-12-02T07:00:00Z")
    finding = triage(hit(event(INSIDE), event(LATER)), enrichment(second, first), [], NOW)
    assert finding.verdict is Verdict.MAINTENANCE
    assert finding.change_tickets == ("CHG0030001", "CHG0030002")


def test_cancelled_change_does_not_cover_and_is_named():
    finding = triage(hit(event(INSIDE)), enrichment(ticket(state="Canceled")), [], NOW)
    assert finding.verdict is Verdict.SUSPICIOUS
    assert "change CHG0030001 on this device is in state Canceled" in finding.reasons


def test_unapproved_change_does_not_cover_and_is_named():
    finding = triage(hit(event(INSIDE)), enrichment(ticket(state="Authorize", approval="requested")), [], NOW)
    assert finding.verdict is Verdict.SUSPICIOUS
    assert "change CHG0030001 on this device is not approved (requested)" in finding.reasons


def test_every_covering_state_counts():
    for state in ("Scheduled", "Implement", "Review", "Closed"):
        assert triage(hit(event(INSIDE)), enrichment(ticket(state=state)), [], NOW).verdict is Verdict.MAINTENANCE
    for state in ("New", "Assess", "Authorize", "Canceled"):
        assert triage(hit(event(INSIDE)), enrichment(ticket(state=state)), [], NOW).verdict is Verdict.SUSPICIOUS


def test_offset_window_is_compared_in_utc():
    # 05:30-07:30 at +05:30 is 00:00-02:00 UTC: 01:00Z is inside, 03:00Z is not.
    change = ChangeTicket(number="CHG0030009", short_description="", state="Implement", approval="approved",
                          start=utc("2026-12-02T05:30:00+05:30"), end=utc("2026-12-02T07:30:00+05:30"), cmdb_ci="WS-0142")
    assert triage(hit(event(INSIDE)), enrichment(change), [], NOW).verdict is Verdict.MAINTENANCE
    assert triage(hit(event("2026-12-02T03:00:00Z")), enrichment(change), [], NOW).verdict is Verdict.SUSPICIOUS


def test_unexpired_rule_for_the_hunt_suppresses():
    finding = triage(hit(event(INSIDE)), enrichment(), [rule(process_name="MeshAgent64.EXE", remote_port=[443])], NOW)
    assert finding.verdict is Verdict.SUPPRESSED
    assert finding.suppression_ids == ("SUP-0001",)
    assert finding.severity is Severity.INFORMATIONAL


def test_every_given_match_field_must_match():
    finding = triage(hit(event(INSIDE, account="alice")), enrichment(),
                     [rule(process_name="meshagent64.exe", account_name="bob")], NOW)
    assert finding.verdict is Verdict.SUSPICIOUS


def test_rule_cidr_and_port_lists():
    inside = rule(remote_ip=["203.0.113.0/24"], remote_port=[80, 443])
    assert triage(hit(event(INSIDE, ip="203.0.113.9")), enrichment(), [inside], NOW).verdict is Verdict.SUPPRESSED
    assert triage(hit(event(INSIDE, ip="198.51.100.9")), enrichment(), [inside], NOW).verdict is Verdict.SUSPICIOUS
    assert triage(hit(event(INSIDE, port=8443)), enrichment(), [inside], NOW).verdict is Verdict.SUSPICIOUS


def test_device_glob_without_dot_matches_the_host_label():
    assert triage(hit(event(INSIDE, device="ws-0142.contoso.com")), enrichment(), [rule(device_name="WS-01*")],
                  NOW).verdict is Verdict.SUPPRESSED
    assert triage(hit(event(INSIDE, device="ws-0142.contoso.com")), enrichment(),
                  [rule(device_name="*.fabrikam.com")], NOW).verdict is Verdict.SUSPICIOUS


def test_expired_rule_does_not_suppress_and_says_so():
    finding = triage(hit(event(INSIDE)), enrichment(), [rule(expires="2026-12-01T00:00:00Z", account_name="alice")], NOW)
    assert finding.verdict is Verdict.SUSPICIOUS
    assert finding.suppression_ids == ()
    assert "suppression SUP-0001 matches but expired 2026-12-01T00:00:00Z" in finding.reasons


def test_rule_expiring_exactly_now_has_expired():
    finding = triage(hit(event(INSIDE)), enrichment(), [rule(expires="2026-12-03T12:00:00Z", account_name="alice")], NOW)
    assert finding.verdict is Verdict.SUSPICIOUS


def test_rule_for_another_hunt_does_not_suppress():
    other = rule(hunt_id="7306e156-49a7-4ff6-9d8f-d6e6d531e426", account_name="alice")
    finding = triage(hit(event(INSIDE)), enrichment(), [other], NOW)
    assert finding.verdict is Verdict.SUSPICIOUS
    assert any("is for hunt 7306e156" in r for r in finding.reasons)


def test_wildcard_rule_applies_to_every_hunt():
    finding = triage(hit(event(INSIDE), the_hunt=hunt("another-hunt")), enrichment(), [rule(hunt_id="*", account_name="alice")], NOW)
    assert finding.verdict is Verdict.SUPPRESSED


def test_change_and_suppression_together_are_maintenance_and_both_are_listed():
    finding = triage(hit(event(INSIDE, account="alice"), event(LATER, account="svc_backup")),
                     enrichment(ticket()), [rule(account_name="svc_backup")], NOW)
    assert finding.verdict is Verdict.MAINTENANCE
    assert finding.change_tickets == ("CHG0030001",)
    assert finding.suppression_ids == ("SUP-0001",)


def test_unknown_owner_raises_severity_to_high():
    finding = triage(hit(event(INSIDE)), Enrichment(owner=None, changes=()), [], NOW)
    assert finding.severity is Severity.HIGH
    assert finding.owner is None
    assert any("no ownership source knows" in r for r in finding.reasons)


def test_critical_device_raises_severity_to_high():
    assert triage(hit(event(INSIDE)), enrichment(who=owner("critical")), [], NOW).severity is Severity.HIGH
    assert triage(hit(event(INSIDE)), enrichment(who=owner("high")), [], NOW).severity is Severity.HIGH
    assert triage(hit(event(INSIDE)), enrichment(who=owner("low")), [], NOW).severity is Severity.MEDIUM


def test_hunt_severity_is_used_for_suspicious_findings():
    finding = triage(hit(event(INSIDE), the_hunt=hunt(severity=Severity.LOW)), enrichment(), [], NOW)
    assert finding.severity is Severity.LOW


def test_failed_lookup_fails_open_even_when_everything_is_covered():
    finding = triage(hit(event(INSIDE)), enrichment(ticket(), failures=("change source servicenow: Timeout",)), [], NOW)
    assert finding.verdict is Verdict.SUSPICIOUS
    assert finding.reasons[0] == "lookup failed, verdict left open: change source servicenow: Timeout"


def test_partial_query_results_fail_open():
    finding = triage(hit(event(INSIDE), partial="result set too large"), enrichment(ticket()), [], NOW)
    assert finding.verdict is Verdict.SUSPICIOUS
    assert "partial results" in finding.reasons[0]


def test_drilldown_that_misses_events_fails_open():
    finding = triage(hit(event(INSIDE), count=3), enrichment(ticket()), [], NOW)
    assert finding.verdict is Verdict.SUSPICIOUS
    assert "drill-down found 1 of the 3 connections the hunt counted" in finding.reasons


def test_identical_events_are_counted_separately():
    same = event(INSIDE)
    finding = triage(hit(same, same, event(LATER)), enrichment(ticket()), [], NOW)
    assert finding.reasons[0].startswith("1 of 3 connections outside CHG0030001 window")
