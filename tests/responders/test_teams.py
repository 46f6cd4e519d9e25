"""Teams responder against a fake Workflows webhook: what is posted, once, and what is kept for later."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import pytest

from hunting.assemble import Context
from hunting.errors import SettingsError
from hunting.models import Severity, Verdict
from hunting.settings import Settings
from responders.cards import element_id
from responders.state import Record
from responders.teams import TeamsResponder
from tests.fakes.teams import SIGNATURE

from .cardschema import schema_errors
from .conftest import FAST
from .findings import finding

A = finding("ws-0142.contoso.com", device_id="d-0142")
B = finding("ws-0217.contoso.com", device_id="d-0217", url="meshcentral.com")
EXPLAINED = finding("srv-app-07.contoso.com", device_id="d-app7", verdict=Verdict.MAINTENANCE,
                    severity=Severity.INFORMATIONAL)


def responder(teams, store, **kwargs) -> TeamsResponder:
    return TeamsResponder(teams.webhook_url, store, policy=FAST, **kwargs)


def test_each_new_suspicious_finding_is_posted_once_as_a_valid_card(teams, store) -> None:
    outcome = responder(teams, store).send([A, B, EXPLAINED])
    assert (outcome.sent, outcome.failed) == (2, 0)
    assert teams.element_ids() == [element_id(A), element_id(B)]
    assert all(schema_errors(card) == [] for card in teams.cards)

    again = responder(teams, store).send([A, B, EXPLAINED])
    assert (again.sent, again.failed) == (0, 0)
    assert len(teams.cards) == 2


def test_new_activity_posts_the_finding_again(teams, store) -> None:
    responder(teams, store).send([A, B])
    later = replace(A, last_seen=A.last_seen + timedelta(hours=1), count=5)
    outcome = responder(teams, store).send([later, B])
    assert outcome.sent == 1
    assert teams.element_ids()[-1] == element_id(A)
    facts = {f["title"]: f["value"] for f in teams.cards[-1]["body"][1]["facts"]}
    assert facts["Last seen"] == "2026-12-03T12:00:00Z" and facts["Connections"] == "5"


def test_explained_findings_are_one_digest_line_each_when_asked_for(teams, store) -> None:
    other = replace(EXPLAINED, device_id="d-inv1", device_name="srv-inv-01.contoso.com", verdict=Verdict.SUPPRESSED,
                    change_tickets=(), suppression_ids=("SUP-0001",))
    responder(teams, store, verdicts=("suspicious", "maintenance", "suppressed")).send([A, EXPLAINED, other])
    assert len(teams.cards) == 2
    digest = teams.cards[1]
    assert digest["body"][0]["text"] == "Explained RMM activity (2)"
    assert [b["id"] for b in digest["body"][1:]] == [element_id(EXPLAINED), element_id(other)]


def test_more_findings_than_the_card_limit_go_out_as_one_digest(teams, store) -> None:
    many = [finding(f"ws-{i:04d}.contoso.com", device_id=f"d-{i}") for i in range(12)]
    outcome = responder(teams, store, max_cards=10).send(many)
    assert outcome.sent == 12
    assert len(teams.cards) == 1
    assert teams.cards[0]["body"][0]["text"] == "Suspicious RMM activity (12)"
    assert sorted(teams.element_ids()) == sorted(element_id(f) for f in many)


def test_a_failed_post_stays_pending_and_is_sent_next_run_even_if_the_finding_is_gone(teams, store) -> None:
    teams.inject_next("500", times=2)  # both attempts of the policy
    first = responder(teams, store).send([A])
    assert (first.sent, first.failed) == (0, 1)
    assert "pending for the next run" in first.detail
    record = store.load("teams")[A.dedup_key]
    assert record.pending and record.attempts == 1

    second = responder(teams, store).send([])  # the finding aged out of the hunt's window
    assert second.sent == 1
    assert teams.element_ids() == [element_id(A)]
    assert not store.load("teams")[A.dedup_key].pending


def test_a_dead_webhook_fails_without_leaking_its_signature(teams, store, caplog) -> None:
    caplog.set_level(logging.INFO)  # urllib3 logs request lines at DEBUG only, which production never enables
    broken = TeamsResponder(teams.webhook_url.replace(SIGNATURE, "revoked"), store, policy=FAST)
    outcome = broken.send([A])
    assert outcome.failed == 1 and "HTTP 401" in outcome.detail
    assert "sig=" not in outcome.detail and "revoked" not in outcome.detail
    assert "revoked" not in caplog.text and "sig=" not in caplog.text
    assert "revoked" not in store.load("teams")[A.dedup_key].last_error


def test_a_lost_answer_is_the_documented_duplicate(teams, store) -> None:
    """The webhook took the post, the answer never came: the retry posts the same card again."""
    teams.inject_next("drop")
    outcome = responder(teams, store).send([A])
    assert outcome.sent == 1
    assert teams.element_ids() == [element_id(A), element_id(A)]
    assert teams.ambiguous_faults == 1


def test_card_links_the_incident_recorded_by_an_incident_responder(teams, store) -> None:
    store.save(Record("sentinel", *A.dedup_key, delivered_last_seen=A.last_seen, target_id="6c1f",
                      target_url="https://portal.azure.com/#asset/x/Incidents/6c1f", target_label="Sentinel incident 7"))
    responder(teams, store).send([A])
    actions = teams.cards[0]["actions"]
    assert actions[-1] == {"type": "Action.OpenUrl", "title": "Open Sentinel incident 7",
                           "url": "https://portal.azure.com/#asset/x/Incidents/6c1f"}


def _context(**values: str) -> Context:
    return Context(Settings(values), None)


def test_from_context_reads_its_settings(teams, tmp_path) -> None:
    built = TeamsResponder.from_context(_context(HUNT_TEAMS_WEBHOOK_URL=teams.webhook_url,
                                                 HUNT_STATE_PATH=str(tmp_path / "s.sqlite"),
                                                 HUNT_RESPONDERS="sentinel,teams", HUNT_TEAMS_MAX_CARDS="3"))
    assert built.send([A]).sent == 1


@pytest.mark.parametrize(("values", "message"), [
    ({}, "missing setting HUNT_TEAMS_WEBHOOK_URL"),
    ({"HUNT_TEAMS_WEBHOOK_URL": "http://teams.example/x"}, "must be an https://"),
    ({"HUNT_TEAMS_WEBHOOK_URL": "https://x.example/w", "HUNT_RESPONDERS": "teams,sentinel"},
     "list sentinel before teams"),
    ({"HUNT_TEAMS_WEBHOOK_URL": "https://x.example/w", "HUNT_TEAMS_VERDICTS": "suspicious,benign"},
     "unknown verdict 'benign'"),
])
def test_bad_settings_are_named(values, message, tmp_path) -> None:
    with pytest.raises(SettingsError, match=message):
        TeamsResponder.from_context(_context(HUNT_STATE_PATH=str(tmp_path / "s.sqlite"), **values))


def test_an_unreachable_webhook_never_logs_its_signature(store, caplog) -> None:
    caplog.set_level(logging.INFO)
    url = f"http://127.0.0.1:9/workflows/x/triggers/manual/paths/invoke?sv=1.0&sig={SIGNATURE}"
    outcome = TeamsResponder(url, store, policy=FAST).send([A])
    assert outcome.failed == 1
    assert SIGNATURE not in caplog.text and SIGNATURE not in outcome.detail
    assert "teams webhook: attempt 1 failed (ConnectionError)" in caplog.text
