"""Teams: an Adaptive Card per new suspicious finding, posted to a Workflows webhook.

The webhook URL is a secret (its SAS signature is in the query string): it is
never logged or put in an error; ``hunting.http`` redacts it to host and path.
Any 2xx (usually 202) is success: the flow renders the card asynchronously.

What is posted: findings whose verdict is in ``HUNT_TEAMS_VERDICTS`` (default
``suspicious``) that are new or show new activity, plus any post still pending
from an earlier run. Suspicious findings get a card each; when there are more
than ``HUNT_TEAMS_MAX_CARDS``, they go out as digest cards (one line each) to stay
within Teams' rate and size limits. Explained findings (maintenance, suppressed),
when listed in the setting, are always one digest line each.

The card links the incident when a Sentinel or ServiceNow responder has recorded
one in the shared state store, which is why ``HUNT_RESPONDERS`` must list those
before ``teams``. A webhook post cannot be made idempotent: if the run dies
after Teams accepted a post but before the state store recorded it (or the
response is lost), the next run posts that card again (see ``responders.notify``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Sequence

from hunting.errors import SettingsError, SourceError
from hunting.http import RetryPolicy, build_session, request, require_https, retry_policy
from hunting.timeparse import utc_now
from hunting.models import Finding, ResponderOutcome, Verdict

from .cards import Link, digest_cards, finding_card, message
from .notify import Delivery, Outbox, Target
from .state import DedupKey, StateStore, open_state_store

if TYPE_CHECKING:
    from datetime import datetime

    from hunting.assemble import Context

#: Responders whose records hold an incident the card should link, in the order the buttons appear.
INCIDENT_RESPONDERS = ("sentinel", "servicenow")


class TeamsResponder:
    name = "teams"

    def __init__(self, webhook_url: str, store: StateStore, *, verdicts: Sequence[str] = ("suspicious",),
                 max_cards: int = 10, policy: RetryPolicy = RetryPolicy(),
                 clock: Callable[[], "datetime"] = utc_now):
        require_https(webhook_url, "HUNT_TEAMS_WEBHOOK_URL")
        unknown = set(verdicts) - {v.value for v in Verdict}
        if unknown:
            raise SettingsError(f"unknown verdict {sorted(unknown)[0]!r} in HUNT_TEAMS_VERDICTS; "
                                f"known: {', '.join(v.value for v in Verdict)}")
        self._url = webhook_url
        self._verdicts = frozenset(verdicts)
        self._max_cards = max(1, max_cards)
        self._policy = policy
        self._session = build_session(2)
        self._store = store
        self._outbox = Outbox(store, self.name, clock=clock)

    @classmethod
    def from_context(cls, context: "Context") -> "TeamsResponder":
        settings = context.settings
        responders = settings.get_list("HUNT_RESPONDERS")
        if "teams" in responders:
            late = [r for r in INCIDENT_RESPONDERS if r in responders and responders.index(r) > responders.index("teams")]
            if late:
                raise SettingsError(f"HUNT_RESPONDERS: list {' and '.join(late)} before teams, "
                                    "so the Teams card can link the incident")
        return cls(settings.require("HUNT_TEAMS_WEBHOOK_URL"), open_state_store(settings),
                   verdicts=settings.get_list("HUNT_TEAMS_VERDICTS"),
                   max_cards=int(settings.get_float("HUNT_TEAMS_MAX_CARDS")), policy=retry_policy(settings))

    def prepare(self, findings: Sequence[Finding]) -> None:
        """Record this run's posts before any responder sends (see ``hunting.pipeline.respond``)."""
        self._outbox.prepare(findings, self._wanted)

    def send(self, findings: Sequence[Finding]) -> ResponderOutcome:
        deliveries = self._outbox.due(findings, self._wanted)
        if not deliveries:
            return ResponderOutcome()
        links = self._incident_links()
        suspicious = [d for d in deliveries if d.finding.verdict is Verdict.SUSPICIOUS]
        explained = [d for d in deliveries if d.finding.verdict is not Verdict.SUSPICIOUS]
        posts: list[tuple[dict[str, Any], list[Delivery]]] = []
        if len(suspicious) > self._max_cards:
            posts += _digests("Suspicious RMM activity", suspicious, links)
        else:
            posts += [(finding_card(d.finding, links.get(d.key, ())), [d]) for d in suspicious]
        posts += _digests("Explained RMM activity", explained, links)
        return self._post_all(posts)

    def _wanted(self, finding: Finding) -> bool:
        return finding.verdict.value in self._verdicts

    def _post_all(self, posts: list[tuple[dict[str, Any], list[Delivery]]]) -> ResponderOutcome:
        sent = failed = 0
        first_error = ""
        for _, members in posts:  # all on record first: a crash part-way leaves the rest pending too
            for delivery in members:
                self._outbox.attempting(delivery)
        for card, members in posts:
            try:
                self._post(card)
            except SourceError as exc:
                for delivery in members:
                    self._outbox.failed(delivery, str(exc))
                failed += len(members)
                first_error = first_error or str(exc)
                continue
            for delivery in members:
                self._outbox.delivered(delivery, Target())
            sent += len(members)
        return ResponderOutcome(sent=sent, failed=failed,
                                detail=f"{failed} pending for the next run: {first_error}" if failed else "")

    def _post(self, card: dict[str, Any]) -> None:
        """Raises: SourceError: the webhook refused the post or could not be reached."""
        response = request(self._session, "POST", self._url, policy=self._policy, what="teams webhook",
                           json=message(card))
        if not 200 <= response.status_code < 300:
            raise SourceError("teams webhook", f"HTTP {response.status_code} (is the workflow still enabled?)")

    def _incident_links(self) -> dict[DedupKey, list[Link]]:
        links: dict[DedupKey, list[Link]] = {}
        for responder in INCIDENT_RESPONDERS:
            for key, record in self._store.load(responder).items():
                if record.target_url:
                    links.setdefault(key, []).append(Link(f"Open {record.target_label or responder}",
                                                          record.target_url))
        return links


def _digests(title: str, deliveries: list[Delivery], links: dict[DedupKey, list[Link]]
             ) -> list[tuple[dict[str, Any], list[Delivery]]]:
    by_finding = {id(d.finding): d for d in deliveries}
    return [(card, [by_finding[id(f)] for f in members])
            for card, members in digest_cards(title, [d.finding for d in deliveries], links)]

