"""Contract tests: ``ServiceNowClient`` against the fake Table API (paging, auth, faults, writes)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hunting.errors import SettingsError, SourceError
from hunting.servicenow import ServiceNowClient, ServiceNowError, encoded_in, parse_servicenow_time, utc_query_time
from hunting.settings import Settings

from .conftest import FAST_RETRIES, snow_settings


def client(fake, **extra: str) -> ServiceNowClient:
    return ServiceNowClient.from_settings(snow_settings(fake, **extra))


def test_list_follows_link_pages_until_no_next(snow):
    for i in range(25):
        snow.add("cmdb_ci_computer", name=f"WS-{i:04d}")
    records = client(snow, SERVICENOW_PAGE_SIZE="10").list_records("cmdb_ci_computer", "nameSTARTSWITHws-", ["name"])
    assert sorted(r["name"] for r in records) == [f"WS-{i:04d}" for i in range(25)]
    assert [r.query["sysparm_offset"] for r in snow.requests] == ["0", "10", "20"]
    assert {r.query["sysparm_limit"] for r in snow.requests} == {"10"}


def test_list_of_nothing_is_an_empty_list_in_one_call(snow):
    assert client(snow).list_records("change_request", "number=CHG0000000") == []
    assert snow.calls_total == 1


def test_encoded_query_and_dot_walked_fields(snow):
    group = snow.add("sys_user_group", name="Service Desk")
    ci = snow.add("cmdb_ci_computer", name="WS-0142", fqdn="ws-0142.contoso.com")
    other = snow.add("cmdb_ci_computer", name="WS-0999")
    snow.add("change_request", number="CHG1", cmdb_ci=ci, state="-2", assignment_group=group,
             start_date="2026-12-02 00:00:00", end_date="2026-12-02 03:00:00")
    snow.add("change_request", number="CHG2", cmdb_ci=other, state="-2",
             start_date="2026-12-02 00:00:00", end_date="2026-12-02 03:00:00")
    snow.add("change_request", number="CHG3", cmdb_ci=ci, state="3",
             start_date="2026-11-01 00:00:00", end_date="2026-11-01 03:00:00")
    query = ("cmdb_ci.nameINWS-0142,WS-0500^ORcmdb_ci.fqdnINnothing.contoso.com"
             "^start_date<=2026-12-02 01:00:00^end_date>=2026-12-02 01:00:00^ORDERBYnumber")
    records = client(snow).list_records("change_request", query, ["number", "cmdb_ci.name", "assignment_group.name"])
    assert records == [{"number": "CHG1", "cmdb_ci.name": "WS-0142", "assignment_group.name": "Service Desk"}]


def test_429_with_retry_after_is_retried(snow):
    snow.add("incident", short_description="x")
    snow.fail_next(429, {"error": {"message": "Too many requests"}}, {"Retry-After": "0"})
    assert len(client(snow).list_records("incident", "")) == 1
    assert snow.calls_total == 2


def test_persistent_5xx_gives_up_with_source_error(snow):
    snow.fail_next(503, times=3, headers={"Retry-After": "0"})
    with pytest.raises(SourceError, match="gave up after retries"):
        client(snow).list_records("incident", "")
    assert snow.calls_total == 3  # HUNT_HTTP_RETRY_ATTEMPTS


def test_wrong_password_is_401_without_secrets_in_message(snow):
    settings = Settings.from_env({**FAST_RETRIES, "SERVICENOW_INSTANCE_URL": snow.url,
                                  "SERVICENOW_USERNAME": "hunter", "SERVICENOW_PASSWORD": "wrong-pass"})
    with pytest.raises(ServiceNowError) as caught:
        ServiceNowClient.from_settings(settings).list_records("incident", "active=true")
    assert caught.value.status == 401
    assert "User Not Authenticated" in str(caught.value)
    assert "wrong-pass" not in str(caught.value) and snow.url not in str(caught.value)


def test_malformed_json_is_a_source_error(snow):
    snow.malformed_next()
    with pytest.raises(ServiceNowError, match="malformed JSON"):
        client(snow).list_records("incident", "")


def test_answer_without_result_is_a_source_error(snow):
    snow.fail_next(200, {"records": []})
    with pytest.raises(ServiceNowError, match="no 'result'"):
        client(snow).list_records("incident", "")


def test_oauth_client_credentials_token_reused_and_refreshed_after_401(snow):
    snow.add("incident", short_description="x")
    settings = Settings.from_env({**FAST_RETRIES, "SERVICENOW_INSTANCE_URL": snow.url,
                                  "SERVICENOW_CLIENT_ID": "hunt-app", "SERVICENOW_CLIENT_SECRET": "app-s3cret"})
    oauth = ServiceNowClient.from_settings(settings)
    oauth.list_records("incident", "")
    oauth.list_records("incident", "")
    assert snow.calls["/oauth_token.do"] == 1
    token_request = next(r for r in snow.requests if r.path == "/oauth_token.do")
    assert b"grant_type=client_credentials" in token_request.body
    assert snow.requests[-1].headers["Authorization"].startswith("Bearer ")
    snow.revoke_tokens()
    assert len(oauth.list_records("incident", "")) == 1
    assert snow.calls["/oauth_token.do"] == 2


def test_create_get_and_update_a_record(snow):
    sn = client(snow)
    created = sn.create_record("incident", {"short_description": "Hunting hit", "urgency": 2})
    assert created["number"].startswith("INC") and len(created["sys_id"]) == 32
    post = snow.requests[-1]
    assert post.method == "POST" and post.json() == {"short_description": "Hunting hit", "urgency": 2}
    updated = sn.update_record("incident", created["sys_id"], {"work_notes": "new activity"})
    assert updated["work_notes"] == "new activity" and snow.requests[-1].method == "PATCH"
    assert sn.get_record("incident", created["sys_id"], ["number"]) == {"number": created["number"]}


def test_get_missing_record_raises_with_404(snow):
    with pytest.raises(ServiceNowError) as caught:
        client(snow).get_record("incident", "0" * 32)
    assert caught.value.status == 404 and "No Record found" in str(caught.value)


def test_create_with_rejected_body_raises_with_status(snow):
    snow.fail_next(403, {"error": {"message": "Operation Failed", "detail": "ACL"}, "status": "failure"})
    with pytest.raises(ServiceNowError) as caught:
        client(snow).create_record("incident", {"short_description": "x"})
    assert caught.value.status == 403


@pytest.mark.parametrize("env, message", [
    ({"SERVICENOW_INSTANCE_URL": "http://contoso.service-now.com", "SERVICENOW_USERNAME": "u",
      "SERVICENOW_PASSWORD": "p"}, "https"),
    ({"SERVICENOW_INSTANCE_URL": "https://contoso.service-now.com"}, "SERVICENOW_USERNAME"),
    ({}, "SERVICENOW_INSTANCE_URL"),
])
def test_settings_are_checked_up_front(env, message):
    with pytest.raises(SettingsError, match=message):
        ServiceNowClient.from_settings(Settings.from_env(env))


def test_query_helpers():
    ist = timezone(timedelta(hours=5, minutes=30))
    assert utc_query_time(datetime(2026, 12, 2, 14, 0, tzinfo=ist)) == "2026-12-02 08:30:00"
    assert parse_servicenow_time("2026-12-02 08:30:00") == datetime(2026, 12, 2, 8, 30, tzinfo=timezone.utc)
    assert parse_servicenow_time("2026-12-02T14:00:00+05:30") == datetime(2026, 12, 2, 8, 30, tzinfo=timezone.utc)
    assert parse_servicenow_time("") is None
    assert encoded_in("name", ["b", "a", "a", "x,y", ""]) == "nameINa,b"


@pytest.mark.parametrize("query, expected", [
    ("nameLIKE010", ["WS-0101", "SRV-0102"]),
    ("nameSTARTSWITHsrv^ORnameENDSWITH99", ["SRV-0102", "WS-0199"]),
    ("name!=WS-0101^nameNOT INSRV-0102", ["WS-0199"]),
    ("nameINws-0101^NQnameINws-0199", ["WS-0101", "WS-0199"]),
    ("sys_created_on>=2026-12-02 00:00:00^ORDERBYDESCname", ["WS-0199", "SRV-0102"]),
    ("sys_created_onBETWEEN2026-12-01 00:00:00@2026-12-02 00:00:00", ["WS-0101"]),
    ("fqdnISEMPTY", ["SRV-0102"]),
    ("ORDERBYname", ["SRV-0102", "WS-0101", "WS-0199"]),
])
def test_fake_encoded_query_operators(snow, query, expected):
    snow.add("cmdb_ci_computer", name="WS-0101", fqdn="ws-0101.contoso.com", sys_created_on="2026-12-01 10:00:00")
    snow.add("cmdb_ci_computer", name="SRV-0102", sys_created_on="2026-12-02 10:00:00")
    snow.add("cmdb_ci_computer", name="WS-0199", fqdn="ws-0199.contoso.com", sys_created_on="2026-12-03 10:00:00")
    names = [r["name"] for r in client(snow).list_records("cmdb_ci_computer", query, ["name"])]
    assert names == expected if "ORDERBY" in query else sorted(names) == sorted(expected)


def test_fake_refuses_a_condition_it_cannot_parse(snow):
    with pytest.raises(ServiceNowError, match="400"):
        client(snow).list_records("incident", "Bogus Condition")


def test_plugins_share_one_client_per_configuration(snow):
    settings = snow_settings(snow)
    assert ServiceNowClient.shared(settings) is ServiceNowClient.shared(snow_settings(snow))
    assert ServiceNowClient.shared(settings) is not ServiceNowClient.shared(snow_settings(snow, SERVICENOW_PAGE_SIZE="5"))
