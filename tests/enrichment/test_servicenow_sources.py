"""Contract tests: CMDB ownership and change_request sources against the fake ServiceNow."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest

from enrichment.servicenow_changes import STATES, ServiceNowChanges
from enrichment.servicenow_cmdb import MAX_CONDITION_LENGTH, ServiceNowCmdbOwnership
from hunting.errors import SourceError
from hunting.models import ChangeTicket, Device
from hunting.servicenow import ServiceNowClient

from .conftest import snow_settings

START = datetime(2026, 12, 1, 0, 0, tzinfo=timezone.utc)
END = datetime(2026, 12, 3, 0, 0, tzinfo=timezone.utc)


def device(name: str) -> Device:
    return Device(f"id-{name}", name)


def cmdb(fake, **settings: str) -> ServiceNowCmdbOwnership:
    return ServiceNowCmdbOwnership(ServiceNowClient.from_settings(snow_settings(fake, **settings)), concurrency=4)


def changes(fake, **settings: str) -> ServiceNowChanges:
    return ServiceNowChanges(ServiceNowClient.from_settings(snow_settings(fake, **settings)), concurrency=4)


def seed_people(fake) -> dict[str, str]:
    return {
        "alice": fake.add("sys_user", name="Alice Martin", email="alice@contoso.com", user_name="alice"),
        "ops": fake.add("sys_user", name="IT Operations", email="", user_name="it-ops"),
        "desk": fake.add("sys_user_group", name="Service Desk"),
        "infra": fake.add("sys_user_group", name="Infrastructure"),
    }


# -- CMDB ownership ---------------------------------------------------------------------------------


def test_cmdb_owner_for_short_ci_name_and_fqdn_device(snow):
    people = seed_people(snow)
    snow.add("cmdb_ci_computer", name="WS-0142", assigned_to=people["alice"], support_group=people["desk"])
    found = cmdb(snow).lookup_owners([device("ws-0142.contoso.com")])
    assert found == {device("ws-0142.contoso.com"): _owner("alice@contoso.com", "Alice Martin", "Service Desk")}


def test_cmdb_ci_named_by_fqdn_and_managed_by_fallback(snow):
    people = seed_people(snow)
    snow.add("cmdb_ci_computer", name="srv-patch-01.contoso.com", managed_by=people["ops"],
             support_group=people["infra"])
    found = cmdb(snow).lookup_owners([device("SRV-PATCH-01.contoso.com")])
    assert found[device("SRV-PATCH-01.contoso.com")] == _owner("it-ops", "IT Operations", "Infrastructure")


def test_cmdb_ci_with_fqdn_in_another_domain_does_not_own_the_device(snow):
    people = seed_people(snow)
    snow.add("cmdb_ci_computer", name="WS-0511", fqdn="ws-0511.fabrikam.com", assigned_to=people["alice"])
    assert cmdb(snow).lookup_owners([device("ws-0511.contoso.com")]) == {}
    assert cmdb(snow).lookup_owners([device("WS-0511")]) != {}  # a short name still matches rule 2


def test_cmdb_retired_and_ownerless_cis_own_nothing(snow):
    people = seed_people(snow)
    snow.add("cmdb_ci_computer", name="WS-0001", assigned_to=people["alice"], install_status="7")
    snow.add("cmdb_ci_computer", name="WS-0002")
    assert cmdb(snow).lookup_owners([device("ws-0001.contoso.com"), device("ws-0002.contoso.com")]) == {}


def test_cmdb_many_devices_are_chunked_into_bounded_requests(snow):
    people = seed_people(snow)
    names = [f"workstation-{i:05d}.corp.contoso.com" for i in range(600)]
    for name in names[::2]:
        snow.add("cmdb_ci_computer", name=name.split(".")[0].upper(), assigned_to=people["alice"])
    found = cmdb(snow).lookup_owners([device(n) for n in names] * 3)  # duplicates: one lookup per device
    assert sorted(d.device_name for d in found) == sorted(names[::2])
    assert 1 < snow.calls_total <= 10
    assert all(len(quote(r.query["sysparm_query"])) <= MAX_CONDITION_LENGTH + 200 for r in snow.requests)


def test_cmdb_device_names_that_would_change_the_query_are_left_out(snow):
    people = seed_people(snow)
    snow.add("cmdb_ci_computer", name="WS-0142", assigned_to=people["alice"])
    found = cmdb(snow).lookup_owners([device("x^ORnameISNOTEMPTY"), device("ws-0142")])
    assert list(found) == [device("ws-0142")]
    assert "ISNOTEMPTY" not in snow.requests[0].query["sysparm_query"]


def test_cmdb_malformed_json_fails_the_source(snow):
    snow.malformed_next()
    with pytest.raises(SourceError):
        cmdb(snow).lookup_owners([device("ws-0142.contoso.com")])


# -- change requests --------------------------------------------------------------------------------


def seed_change(fake, ci: str, number: str, **fields: str) -> None:
    fields.setdefault("state", "-2")
    fields.setdefault("approval", "approved")
    fields.setdefault("start_date", "2026-12-01 20:00:00")
    fields.setdefault("end_date", "2026-12-01 23:59:00")
    fake.add("change_request", number=number, short_description=f"work on {number}", cmdb_ci=ci, **fields)


def test_changes_mapped_to_the_triage_model(snow):
    people = seed_people(snow)
    ci = snow.add("cmdb_ci_computer", name="SRV-PATCH-01")
    seed_change(snow, ci, "CHG0030001", assignment_group=people["infra"])
    tickets = changes(snow).list_changes([device("srv-patch-01.contoso.com")], START, END)
    assert tickets == [ChangeTicket(
        number="CHG0030001", short_description="work on CHG0030001", state="Scheduled", approval="approved",
        start=datetime(2026, 12, 1, 20, 0, tzinfo=timezone.utc), end=datetime(2026, 12, 1, 23, 59, tzinfo=timezone.utc),
        cmdb_ci="SRV-PATCH-01", assignment_group="Infrastructure", source="servicenow")]
    assert snow.calls_total == 1  # one encoded query for the run


@pytest.mark.parametrize("code, name", sorted(STATES.items()))
def test_every_state_code_maps_to_its_name(snow, code, name):
    seed_change(snow, snow.add("cmdb_ci_computer", name="WS-1"), "CHG1", state=code)
    assert changes(snow).list_changes([device("ws-1.contoso.com")], START, END)[0].state == name


def test_change_window_query_is_in_utc_and_overlaps(snow):
    ci = snow.add("cmdb_ci_computer", name="WS-1")
    seed_change(snow, ci, "CHG-BEFORE", start_date="2026-11-30 00:00:00", end_date="2026-12-01 02:00:00")
    seed_change(snow, ci, "CHG-AFTER", start_date="2026-12-02 09:00:00", end_date="2026-12-02 10:00:00")
    seed_change(snow, ci, "CHG-OUTSIDE", start_date="2026-11-20 00:00:00", end_date="2026-11-20 02:00:00")
    ist = timezone(timedelta(hours=5, minutes=30))
    start, end = datetime(2026, 12, 1, 7, 0, tzinfo=ist), datetime(2026, 12, 2, 15, 0, tzinfo=ist)
    tickets = changes(snow).list_changes([device("ws-1.contoso.com")], start, end)
    assert sorted(t.number for t in tickets) == ["CHG-AFTER", "CHG-BEFORE"]
    query = snow.requests[0].query["sysparm_query"]
    assert "start_date<=2026-12-02 09:30:00" in query and "end_date>=2026-12-01 01:30:00" in query


def test_change_ci_is_its_fqdn_when_it_has_one(snow):
    ci = snow.add("cmdb_ci_computer", name="WS-0511", fqdn="ws-0511.fabrikam.com")
    seed_change(snow, ci, "CHG0030007")
    tickets = changes(snow).list_changes([device("ws-0511.contoso.com")], START, END)
    assert [t.cmdb_ci for t in tickets] == ["ws-0511.fabrikam.com"]  # found by label, but not this machine


def test_changes_are_paged(snow):
    ci = snow.add("cmdb_ci_computer", name="WS-1")
    for n in range(7):
        seed_change(snow, ci, f"CHG{n:07d}")
    tickets = changes(snow, SERVICENOW_PAGE_SIZE="3").list_changes([device("ws-1")], START, END)
    assert len(tickets) == 7 and snow.calls_total == 3


def test_change_with_missing_or_unreadable_fields_covers_nothing_but_others_survive(snow, caplog):
    ci = snow.add("cmdb_ci_computer", name="WS-1")
    snow.add("change_request", number="CHG-BARE", cmdb_ci=ci, start_date="2026-12-01 01:00:00",
             end_date="2026-12-01 02:00:00")  # no state, approval, description
    seed_change(snow, ci, "CHG-BADDATE", end_date="2026-12-01 25:61:00")
    seed_change(snow, ci, "CHG-GOOD")
    tickets = {t.number: t for t in changes(snow).list_changes([device("ws-1")], START, END)}
    assert tickets["CHG-BARE"].state == "" and tickets["CHG-BARE"].approval == ""
    assert tickets["CHG-BADDATE"].end is None and "CHG-BADDATE" in caplog.text
    assert tickets["CHG-GOOD"].end is not None


def test_changes_401_fails_the_source(snow):
    stale = changes(snow)
    snow.password = "rotated"
    with pytest.raises(SourceError, match="401"):
        stale.list_changes([device("ws-1")], START, END)


def _owner(upn: str, name: str, team: str):
    from hunting.models import Owner

    return Owner(upn=upn, name=name, team=team, source="servicenow")
