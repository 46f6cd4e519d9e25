"""The pipeline's responder step: every send is on record before the first one is made."""

from __future__ import annotations

import pytest

from hunting.pipeline import respond
from responders.teams import TeamsResponder

from .conftest import FAST
from .findings import finding

A = finding("ws-0142.contoso.com", device_id="d-0142")


class Dies:
    """A responder during which the process dies (a Function timeout)."""

    name = "dies"

    def send(self, findings):
        raise SystemExit("host stopped the function")


def test_a_run_that_dies_early_leaves_later_responders_sends_pending(teams, store) -> None:
    with pytest.raises(SystemExit):
        respond([Dies(), TeamsResponder(teams.webhook_url, store, policy=FAST)], [A])
    assert teams.cards == []
    assert store.load("teams")[A.dedup_key].pending

    outcomes = respond([TeamsResponder(teams.webhook_url, store, policy=FAST)], [])  # the finding is gone
    assert outcomes["teams"].sent == 1 and len(teams.cards) == 1


def test_a_responder_that_cannot_record_still_gets_its_send_call(teams, store) -> None:
    class Broken(Dies):
        name = "broken"

        def prepare(self, findings):
            raise OSError("disk full")

        def send(self, findings):
            raise OSError("disk full")

    outcomes = respond([Broken(), TeamsResponder(teams.webhook_url, store, policy=FAST)], [A])
    assert outcomes["broken"].failed == 1 and outcomes["teams"].sent == 1
