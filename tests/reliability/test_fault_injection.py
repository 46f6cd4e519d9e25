"""Seeded fault injection: hundreds of runs, faults in every target and between send and state write.

After the runs (and two clean runs that let the outbox drain), what the fakes
hold is compared with what should have been sent: every suspicious activity
reached each target (0 lost), no incident, comment or work note exists twice (0
duplicates), and Teams repeated a card only in the documented case: a post the
webhook accepted whose answer or state write was lost (counted, and bounded by
how often that was injected). Prints one line:

    fault-injection: runs=N lost=L duplicates=D teams_duplicates=T
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterator

import pytest

from hunting.http import RetryPolicy
from hunting.models import iso_z
from hunting.pipeline import respond
from hunting.servicenow import ServiceNowClient
from responders.notify import finding_uuid
from responders.sentinel import SentinelResponder
from responders.servicenow_incident import ServiceNowIncidentResponder
from responders.state import DedupKey, Record, StateStore, record_id
from responders.state.sqlite import SqliteStateStore
from responders.teams import TeamsResponder
from tests.fakes.credential import StaticTokenCredential
from tests.fakes.sentinel import FakeSentinel
from tests.fakes.servicenow_incidents import FakeServiceNowIncidents
from tests.fakes.teams import FakeTeamsWebhook

from .world import World

RUNS = 200
SEED = 20261203
FAULT_RATE = 0.07
KINDS = ("500", "429", "drop", "drop", "stall")  # stalls cost a client timeout each: keep them rarer
CRASH_RATE = 0.04
POLICY = RetryPolicy(attempts=2, max_seconds=5, backoff=0.005, max_backoff=0.01, timeout=0.15)
ACTIVITY = re.compile(r"New activity up to (\S+Z)")


class SimulatedCrash(BaseException):
    """The process dies: nothing after this point of the run happens."""


@dataclass
class CrashingStore:
    """A state store whose write of a *finished* send sometimes never happens, as when the process dies."""

    inner: StateStore
    rng: random.Random
    rate: float = 0.0
    crashes: Counter[str] = field(default_factory=Counter)
    on_crash: Callable[[str], None] = lambda responder: None

    def load(self, responder: str) -> dict[DedupKey, Record]:
        return self.inner.load(responder)

    def save(self, record: Record) -> None:
        finishing = not record.pending and record.delivered_last_seen is not None
        if finishing and self.rate and self.rng.random() < self.rate:
            self.crashes[record.responder] += 1
            self.on_crash(record.responder)
            raise SimulatedCrash(record.responder)
        self.inner.save(record)


@dataclass
class Targets:
    teams: FakeTeamsWebhook
    sentinel: FakeSentinel
    servicenow: FakeServiceNowIncidents

    def chaos(self, rng: random.Random, rate: float) -> None:
        for fake in (self.teams, self.sentinel, self.servicenow):
            fake.chaos(rng, rate, KINDS)


@pytest.fixture
def targets() -> Iterator[Targets]:
    with FakeTeamsWebhook() as teams, FakeSentinel() as sentinel, FakeServiceNowIncidents() as servicenow:
        for fake in (teams, sentinel, servicenow):
            fake.stall_seconds = 0.3
        yield Targets(teams, sentinel, servicenow)  # type: ignore[arg-type]


def build_responders(targets: Targets, store: StateStore) -> list[Any]:
    """Incident responders first, so the Teams card can link their incidents."""
    def servicenow_client(attempts: int) -> ServiceNowClient:
        return ServiceNowClient(targets.servicenow.url, username="hunter", password="s3cret",
                                policy=RetryPolicy(attempts=attempts, max_seconds=5, backoff=0.005, max_backoff=0.01,
                                                   timeout=0.15))

    return [
        SentinelResponder(subscription_id="sub", resource_group="rg", workspace="law", store=store,
                          credential=StaticTokenCredential(), arm_endpoint=targets.sentinel.url, policy=POLICY),
        ServiceNowIncidentResponder(servicenow_client(2), servicenow_client(1), store),
        TeamsResponder(targets.teams.webhook_url, store, max_cards=3, policy=POLICY),
    ]


def run_once(responders: list[Any], findings: list) -> None:
    """One run's responders, through the pipeline's own ``respond``; a simulated crash ends the run."""
    try:
        respond(responders, findings)
    except SimulatedCrash:
        pass


def simulate(targets: Targets, make_store: Callable[[], StateStore], runs: int, seed: int) -> dict[str, int]:
    world = World(random.Random(seed))
    store = CrashingStore(make_store(), random.Random(seed + 1), CRASH_RATE)
    repeatable: list[int] = []  # findings per Teams post that may be repeated: answer lost or state write lost
    store.on_crash = lambda responder: repeatable.append(
        len(targets.teams.postings(targets.teams.cards[-1:])) if responder == "teams" else 0)
    targets.chaos(random.Random(seed + 2), FAULT_RATE)
    for _ in range(runs):
        run_once(build_responders(targets, store), world.step())  # a fresh process each run
    targets.chaos(random.Random(seed), 0.0)
    store.rate = 0.0
    for _ in range(2):  # clean runs, nothing new: whatever is still pending goes out
        run_once(build_responders(targets, store), world.observe())
    repeatable += [len(targets.teams.postings([targets.teams.cards[i]])) for i in targets.teams.lost_answers]
    return {**compare(targets, world.expected), "teams_repeatable": sum(repeatable),
            "crashes": sum(store.crashes.values())}


def compare(targets: Targets, expected: dict[DedupKey, datetime]) -> dict[str, int]:
    lost = duplicates = 0
    # Sentinel: one incident per key, showing the newest activity; a comment per reported activity, once.
    incidents = targets.sentinel.incidents
    wanted_ids = {str(finding_uuid(key)): key for key in expected}
    duplicates += len(set(incidents) - set(wanted_ids)) + sum(n - 1 for n in targets.sentinel.created.values())
    for incident_id, key in wanted_ids.items():
        incident = incidents.get(incident_id)
        last = iso_z(expected[key])
        if incident is None or incident["properties"]["lastActivityTimeUtc"] != last:
            lost += 1
            continue
        reported = Counter(ACTIVITY.search(m).group(1) for m in targets.sentinel.comments.get(incident_id, {}).values())
        duplicates += sum(n - 1 for n in reported.values())
        if targets.sentinel.created_with[incident_id]["lastActivityTimeUtc"] != last and last not in reported:
            lost += 1
    # ServiceNow: one incident per correlation id, marked with the newest activity; each work note once.
    by_correlation: dict[str, list[dict[str, str]]] = {}
    for incident in targets.servicenow.incidents():
        by_correlation.setdefault(incident["correlation_id"], []).append(incident)
    duplicates += sum(len(v) for k, v in by_correlation.items() if k not in wanted_ids)
    for correlation, key in wanted_ids.items():
        found = by_correlation.get(correlation, [])
        duplicates += max(0, len(found) - 1)
        if not found or found[0]["correlation_display"] != f"rmm-hunt {iso_z(expected[key])}":
            lost += 1
            continue
        notes = Counter(ACTIVITY.search(n).group(1) for n in targets.servicenow.journal.get(found[0]["sys_id"], []))
        duplicates += sum(n - 1 for n in notes.values())
    # Teams: the newest activity of every key was posted; repeats are counted, not failed.
    postings = Counter(targets.teams.postings())
    for key, last in expected.items():
        if ("finding-" + record_id(key)[:16], iso_z(last)) not in postings:
            lost += 1
    teams_duplicates = sum(n - 1 for n in postings.values())
    return {"lost": lost, "duplicates": duplicates, "teams_duplicates": teams_duplicates, "keys": len(expected),
            "faults": sum(sum(f.faults.values()) for f in (targets.teams, targets.sentinel, targets.servicenow))}


def test_no_send_is_lost_or_duplicated_under_random_faults(targets, tmp_path) -> None:
    result = simulate(targets, lambda: SqliteStateStore(tmp_path / "state.sqlite"), RUNS, SEED)
    print(f"\nfault-injection: runs={RUNS} lost={result['lost']} duplicates={result['duplicates']} "
          f"teams_duplicates={result['teams_duplicates']}")
    assert result["keys"] >= 20 and result["faults"] >= 100 and result["crashes"] >= 10  # the suite did bite
    assert result["lost"] == 0
    assert result["duplicates"] == 0
    assert result["teams_duplicates"] <= result["teams_repeatable"]


def test_the_same_holds_with_state_in_azure_tables(targets) -> None:
    """A shorter run with the state in Azurite: the store is part of the exactly-once path."""
    import uuid

    from hunting.settings import Settings
    from responders.state.azure_tables import TableStateStore
    from tests.fakes.azurite import azurite_connection_string

    settings = Settings({"HUNT_STATE_CONNECTION_STRING": azurite_connection_string(),
                         "HUNT_STATE_TABLE": "fault" + uuid.uuid4().hex[:12], "HUNT_HTTP_TIMEOUT": "5"})
    result = simulate(targets, lambda: TableStateStore.from_settings(settings), 40, SEED + 7)
    assert (result["lost"], result["duplicates"]) == (0, 0)
    assert result["teams_duplicates"] <= result["teams_repeatable"]
