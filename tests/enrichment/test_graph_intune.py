"""Contract tests: the Graph ``$batch`` client and the Intune source against the fake Graph."""

from __future__ import annotations

import pytest

from enrichment.graph import SCOPE, GraphClient
from enrichment.intune import IntuneOwnership, managed_devices_url
from hunting.errors import SettingsError, SourceError
from hunting.http import RetryPolicy
from hunting.models import Device, Owner
from tests.fakes.credential import FailingCredential, StaticTokenCredential

POLICY = RetryPolicy(attempts=3, max_seconds=5, timeout=5)


def client(graph, credential=None, **kw) -> GraphClient:
    return GraphClient(f"{graph.url}/v1.0", credential or StaticTokenCredential(), policy=POLICY, source="intune", **kw)


def intune(graph, **kw) -> IntuneOwnership:
    return IntuneOwnership(client(graph, **kw))


# -- Graph client -----------------------------------------------------------------------------------


def test_requests_go_out_20_per_batch_and_answers_are_matched_by_id(graph):
    for i in range(45):
        graph.add_device(f"WS-{i:04d}", f"user{i}@contoso.com")
    credential = StaticTokenCredential()
    answers = client(graph, credential).get_all([managed_devices_url(f"WS-{i:04d}") for i in range(45)])
    assert [a[0]["userPrincipalName"] for a in answers] == [f"user{i}@contoso.com" for i in range(45)]
    assert graph.calls["/v1.0/$batch"] == 3  # 20 + 20 + 5
    assert sorted(len(r.json()["requests"]) for r in graph.requests) == [5, 20, 20]  # sent in parallel
    assert set(credential.scopes) == {(SCOPE,)}


def test_inner_429_retries_only_the_throttled_requests(graph):
    for i in range(5):
        graph.add_device(f"WS-{i}", f"user{i}@contoso.com")
    graph.throttle_next(2, retry_after="0")
    answers = client(graph).get_all([managed_devices_url(f"WS-{i}") for i in range(5)])
    assert all(len(a) == 1 for a in answers)
    assert graph.calls["/v1.0/$batch"] == 2
    assert len(graph.requests[1].json()["requests"]) == 2


def test_inner_429_without_retry_after_still_backs_off_and_retries(graph):
    graph.add_device("WS-1", "a@contoso.com")
    graph.throttle_next(1, retry_after=None)
    assert client(graph).get_all([managed_devices_url("WS-1")])[0][0]["deviceName"] == "WS-1"


def test_persistent_inner_throttling_gives_up_with_source_error(graph):
    graph.add_device("WS-1", "a@contoso.com")
    graph.throttle_next(10, retry_after="0")
    with pytest.raises(SourceError, match="gave up after retries"):
        client(graph).get_all([managed_devices_url("WS-1")])
    assert graph.calls["/v1.0/$batch"] == POLICY.attempts


def test_next_links_are_followed_inside_later_batches(graph):
    graph.page_size = 2
    for i in range(5):
        graph.add_device("KIOSK", f"user{i}@contoso.com")
    answers = client(graph).get_all([managed_devices_url("KIOSK")])
    assert len(answers[0]) == 5
    assert graph.calls["/v1.0/$batch"] == 3
    assert all(url.startswith("/deviceManagement/") for url in graph.inner_requests)


def test_envelope_429_is_retried(graph):
    graph.add_device("WS-1", "a@contoso.com")
    graph.fail_next(429, {"error": {"code": "TooManyRequests"}}, {"Retry-After": "0"})
    assert len(client(graph).get_all([managed_devices_url("WS-1")])[0]) == 1


@pytest.mark.parametrize("fault, message", [
    (lambda g: g.malformed_next(), "malformed JSON"),
    (lambda g: g.fail_next(200, {"value": []}), "no 'responses'"),
    (lambda g: g.fail_inner_next(403, {"error": {"code": "Authorization_RequestDenied"}}),
     "HTTP 403 inside a batch .Authorization_RequestDenied"),
    (lambda g: g.fail_inner_next(200, {"unexpected": True}), "no 'value'"),
])
def test_bad_answers_fail_the_source(graph, fault, message):
    fault(graph)
    with pytest.raises(SourceError, match=message):
        client(graph).get_all([managed_devices_url("WS-1")])


def test_credential_failure_is_a_source_error_naming_its_class(graph):
    with pytest.raises(SourceError, match="ClientAuthenticationError"):
        client(graph, FailingCredential()).get_all([managed_devices_url("WS-1")])


def test_wrong_token_is_refused(graph):
    with pytest.raises(SourceError, match="401"):
        client(graph, StaticTokenCredential("other")).get_all([managed_devices_url("WS-1")])


def test_plain_http_is_only_for_localhost():
    with pytest.raises(SettingsError):
        GraphClient("http://graph.example.com/v1.0", StaticTokenCredential())


# -- Intune ownership -------------------------------------------------------------------------------


def test_intune_owner_for_fqdn_device_by_short_device_name(graph):
    graph.add_device("WS-0142", "alice@contoso.com", "Alice Martin")
    found = intune(graph).lookup_owners([Device("d1", "ws-0142.contoso.com"), Device("d2", "ws-9999.contoso.com")])
    assert found == {Device("d1", "ws-0142.contoso.com"): Owner("alice@contoso.com", "Alice Martin", "", "intune")}


def test_intune_looks_each_host_label_up_once(graph):
    devices = [Device("a", "ws-1.contoso.com"), Device("b", "WS-1"), Device("a", "ws-1.contoso.com")]
    intune(graph).lookup_owners(devices)
    assert len(graph.inner_requests) == 1


def test_intune_reenrolled_device_takes_the_latest_sync_across_time_zones(graph):
    graph.add_device("WS-7", "old@contoso.com", lastSyncDateTime="2026-12-01T12:00:00Z")
    graph.add_device("WS-7", "new@contoso.com", lastSyncDateTime="2026-12-01T17:00:00+05:30")  # 11:30Z: older
    graph.add_device("WS-8", "first@contoso.com", lastSyncDateTime="2026-12-01T12:00:00Z")
    graph.add_device("WS-8", "second@contoso.com", lastSyncDateTime="2026-12-01T08:00:00-05:00")  # 13:00Z: newer
    found = intune(graph).lookup_owners([Device("a", "ws-7.contoso.com"), Device("b", "ws-8.contoso.com")])
    assert {d.device_name: o.upn for d, o in found.items()} == {"ws-7.contoso.com": "old@contoso.com",
                                                                "ws-8.contoso.com": "second@contoso.com"}


def test_intune_device_without_primary_user_or_missing_fields_has_no_owner(graph):
    graph.add_device("KIOSK-1", "")
    graph.devices.append({"id": "x", "deviceName": "KIOSK-2"})  # fields missing altogether
    assert intune(graph).lookup_owners([Device("a", "kiosk-1.contoso.com"), Device("b", "kiosk-2")]) == {}


def test_intune_quotes_in_names_are_escaped(graph):
    graph.add_device("O'BRIEN-PC", "sean@contoso.com")
    found = intune(graph).lookup_owners([Device("a", "o'brien-pc.contoso.com")])
    assert [o.upn for o in found.values()] == ["sean@contoso.com"]
