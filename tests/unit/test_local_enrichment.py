"""The local enrichment files: inventory.csv, changes.csv, suppressions.yaml."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from enrichment.change_calendar import ChangeCalendar
from enrichment.enricher import Enricher
from enrichment.inventory import InventoryOwnership
from enrichment.suppressions import load_suppressions
from hunting.errors import InputError, SourceError
from hunting.models import Device, Owner

HEADER_INV = "device_name,device_id,owner_upn,owner_name,team,criticality\n"
HEADER_CHG = "number,short_description,state,approval,start_date,end_date,cmdb_ci,assignment_group\n"
START, END = datetime(2026, 11, 28, tzinfo=timezone.utc), datetime(2026, 12, 3, tzinfo=timezone.utc)


def test_inventory_matches_by_id_then_short_name_then_fqdn(tmp_path):
    path = tmp_path / "inventory.csv"
    path.write_text(HEADER_INV + "WS-1,,a@c.com,A,T,low\nother,ID-2,b@c.com,B,T,high\nws-3.contoso.com,,c@c.com,C,T,\n")
    inventory = InventoryOwnership(path)
    devices = [Device("x", "ws-1.contoso.com"), Device("id-2", "renamed.contoso.com"), Device("y", "WS-3"),
               Device("z", "ws-1.fabrikam.com.")]
    found = inventory.lookup_owners(devices)
    assert found[devices[0]].upn == "a@c.com"
    assert found[devices[1]].upn == "b@c.com" and found[devices[1]].criticality == "high"
    assert found[devices[2]].upn == "c@c.com"
    assert found[devices[3]].upn == "a@c.com"  # a short inventory name matches any domain's FQDN


def test_inventory_fqdn_does_not_match_another_domain(tmp_path):
    path = tmp_path / "inventory.csv"
    path.write_text(HEADER_INV + "ws-1.contoso.com,,a@c.com,A,T,low\n")
    assert InventoryOwnership(path).lookup_owners([Device("x", "ws-1.fabrikam.com")]) == {}


def test_inventory_rejects_unknown_criticality_with_line(tmp_path):
    path = tmp_path / "inventory.csv"
    path.write_text(HEADER_INV + "WS-1,,a@c.com,A,T,low\nWS-2,,b@c.com,B,T,extreme\n")
    with pytest.raises(InputError, match=r"inventory.csv:3: criticality must be one of"):
        InventoryOwnership(path)


def test_inventory_missing_column(tmp_path):
    path = tmp_path / "inventory.csv"
    path.write_text("device_name,owner_upn\nWS-1,a@c.com\n")
    with pytest.raises(InputError, match=r"inventory.csv:1: missing column\(s\): device_id"):
        InventoryOwnership(path)


def test_changes_naive_dates_are_utc_and_offsets_are_converted(tmp_path):
    path = tmp_path / "changes.csv"
    path.write_text(HEADER_CHG + "CHG1,x,Scheduled,approved,2026-12-01 09:30:00,2026-12-01T20:30:00+05:30,WS-1,IT\n")
    (ticket,) = ChangeCalendar(path).list_changes([Device("d", "ws-1.contoso.com")], START, END)
    assert ticket.start == datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)
    assert ticket.end == datetime(2026, 12, 1, 15, 0, tzinfo=timezone.utc)


def test_changes_outside_the_window_or_for_other_devices_are_left_out(tmp_path):
    path = tmp_path / "changes.csv"
    path.write_text(HEADER_CHG
                    + "CHG1,x,Scheduled,approved,2026-12-01T00:00:00Z,2026-12-01T01:00:00Z,WS-1,IT\n"
                    + "CHG2,x,Scheduled,approved,2026-10-01T00:00:00Z,2026-10-01T01:00:00Z,WS-1,IT\n"
                    + "CHG3,x,Scheduled,approved,2026-12-01T00:00:00Z,2026-12-01T01:00:00Z,WS-2,IT\n"
                    + "CHG4,x,Canceled,rejected,2026-12-01T00:00:00Z,2026-12-01T01:00:00Z,ws-1.contoso.com,IT\n")
    tickets = ChangeCalendar(path).list_changes([Device("d", "ws-1.contoso.com")], START, END)
    assert sorted(t.number for t in tickets) == ["CHG1", "CHG4"]


def test_changes_end_before_start_is_refused(tmp_path):
    path = tmp_path / "changes.csv"
    path.write_text(HEADER_CHG + "CHG1,x,Scheduled,approved,2026-12-02T00:00:00Z,2026-12-01T00:00:00Z,WS-1,IT\n")
    with pytest.raises(InputError, match="changes.csv:2: end_date is before start_date"):
        ChangeCalendar(path)


def test_suppressions_parse_every_match_field(tmp_path):
    path = tmp_path / "suppressions.yaml"
    path.write_text("""
- id: SUP-1
  hunt: "*"
  reason: inventory
  owner: it@contoso.com
  expires: 2027-01-31
  match:
    device_name: "srv-*"
    remote_url: "*.meshcentral.com"
    process_name: meshagent64.exe
    account_name: svc
    remote_ip: [203.0.113.0/24, "2001:db8::/32"]
    remote_port: [443]
""")
    (rule,) = load_suppressions(path)
    assert rule.expires == datetime(2027, 2, 1, tzinfo=timezone.utc)  # valid through the whole day
    assert [str(n) for n in rule.remote_ip] == ["203.0.113.0/24", "2001:db8::/32"]
    assert rule.remote_port == (443,) and rule.device_name == "srv-*"


@pytest.mark.parametrize("body, message", [
    ("- id: S\n  hunt: '*'\n  reason: r\n  owner: o\n  match: {account_name: x}\n", "suppressions.yaml:1: rule is missing expires"),
    ("- id: S\n  hunt: '*'\n  reason: r\n  owner: o\n  expires: 2027-01-01\n  match: {user: x}\n", "unknown match field(s) user"),
    ("- id: S\n  hunt: '*'\n  reason: r\n  owner: o\n  expires: 2027-01-01\n  match: {}\n", "match is empty"),
    ("- id: S\n  hunt: '*'\n  reason: r\n  owner: o\n  expires: 2027-01-01\n  match: {remote_port: [https]}\n", "remote_port must be a list"),
    ("rules: []\n", "expected a list of rules"),
])
def test_bad_suppression_rules(tmp_path, body, message):
    path = tmp_path / "suppressions.yaml"
    path.write_text(body)
    with pytest.raises(InputError) as caught:
        load_suppressions(path)
    assert message in str(caught.value)


def test_no_suppressions_file_means_no_rules(tmp_path):
    assert load_suppressions(tmp_path / "suppressions.yaml") == []


class Fixed:
    def __init__(self, name, owners=None, error=None):
        self.name, self._owners, self._error = name, owners or {}, error

    def lookup_owners(self, devices):
        if self._error:
            raise self._error
        return {d: self._owners[d.device_name] for d in devices if d.device_name in self._owners}


def owner(upn, source):
    return Owner(upn=upn, name=upn, team="", source=source)


def test_first_source_in_chain_wins_and_disagreement_is_noted():
    device = Device("d", "ws-1")
    enricher = Enricher([Fixed("inventory", {"ws-1": owner("a@c.com", "inventory")}),
                         Fixed("intune", {"ws-1": owner("b@c.com", "intune")}),
                         Fixed("servicenow", {"ws-1": owner("A@C.com", "servicenow")})], [])
    result = enricher.enrich([device], START, END)[device]
    assert result.owner.source == "inventory"
    assert result.notes == ("owner per intune is b@c.com (kept inventory: a@c.com)",)


def test_a_failing_source_is_a_failure_reason_and_the_next_source_still_answers():
    device = Device("d", "ws-1")
    enricher = Enricher([Fixed("defender", error=SourceError("defender", "boom")),
                         Fixed("inventory", {"ws-1": owner("a@c.com", "inventory")})], [])
    result = enricher.enrich([device], START, END)[device]
    assert result.owner.upn == "a@c.com"
    assert result.failures == ("ownership source defender: SourceError",)
