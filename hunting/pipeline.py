"""The whole run: hunts -> hits and events -> enrichment -> triage -> responders.

``run_hunts`` is the one function the CLI, the timer function and the tests call.
One broad ``except`` per hunt and per responder: one dead service never stops
the others, and the run's summary says what failed.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, Sequence

from .errors import InputError, describe
from .hits import find_hits
from .models import Device, Enrichment, Finding, Hit, Hunt, ResponderOutcome, SuppressionRule
from .sources import QuerySource
from .triage import triage

log = logging.getLogger(__name__)
run_log = logging.getLogger("hunting.run")  # what operators read: one record per hunt, one per run


class Enricher(Protocol):
    def enrich(self, devices: Sequence[Device], start: datetime, end: datetime) -> dict[Device, Enrichment]: ...


class Responder(Protocol):
    name: str

    def send(self, findings: Sequence[Finding]) -> ResponderOutcome: ...


@dataclass(frozen=True)
class HuntOutcome:
    hunt_id: str
    hits: int
    seconds: float
    error: str | None = None


@dataclass(frozen=True)
class RunReport:
    now: datetime
    findings: tuple[Finding, ...]
    hunts: tuple[HuntOutcome, ...]
    responders: dict[str, ResponderOutcome] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def failed(self) -> list[str]:
        """Every hunt and responder that failed, with why; empty on a clean run."""
        failures = [f"hunt {h.hunt_id}: {h.error}" for h in self.hunts if h.error]
        failures += [f"responder {name}: {o.detail}" for name, o in self.responders.items() if o.failed]
        return failures

    def summary(self) -> str:
        """One line for the log: hunts, hits, verdicts, notifications, duration, failures."""
        verdicts = Counter(f.verdict.value for f in self.findings)
        parts = [
            f"hunts={len(self.hunts)}",
            f"hits={len(self.findings)}",
            *(f"{v}={verdicts.get(v, 0)}" for v in ("suspicious", "maintenance", "suppressed")),
            *(f"{name}_sent={o.sent}" for name, o in self.responders.items()),
            f"seconds={self.seconds:.2f}",
        ]
        if self.failed:
            parts.append("failed=[" + "; ".join(self.failed) + "]")
        return "run " + " ".join(parts)


def run_hunts(
    hunts: Sequence[Hunt],
    *,
    source: QuerySource,
    enricher: Enricher,
    suppressions: Sequence[SuppressionRule],
    now: datetime,
    responders: Sequence[Responder] = (),
) -> RunReport:
    """Run every hunt as of ``now`` and hand the findings to each responder.

    Raises:
        InputError: the local data behind a hunt is malformed (a user mistake, not an outage).
    """
    started = time.perf_counter()
    hits: list[Hit] = []
    outcomes: list[HuntOutcome] = []
    for hunt in hunts:
        hunt_started = time.perf_counter()
        try:
            found = find_hits(hunt, source, now)
        except InputError as exc:
            if exc.path is None:  # a mistake in the hunt itself: say which file
                raise InputError(exc.detail, path=hunt.path) from None
            raise
        except Exception as exc:  # one failing hunt must not stop the others
            seconds = time.perf_counter() - hunt_started
            error = describe(exc)
            run_log.error("hunt %s failed after %.2fs: %s", hunt.id, seconds, error,
                          extra=_hunt_fields(hunt.id, 0, seconds) | {"error": error})
            log.debug("hunt %s failed", hunt.id, exc_info=True)
            outcomes.append(HuntOutcome(hunt.id, 0, seconds, error))
            continue
        seconds = time.perf_counter() - hunt_started
        run_log.info("hunt %s: hits=%d seconds=%.2f", hunt.id, len(found), seconds,
                     extra=_hunt_fields(hunt.id, len(found), seconds))
        outcomes.append(HuntOutcome(hunt.id, len(found), seconds))
        hits.extend(found)

    findings: list[Finding] = []
    if hits:
        devices = [hit.device for hit in hits]
        start = min(hit.first_seen for hit in hits)
        end = max(hit.last_seen for hit in hits)
        enrichments = enricher.enrich(devices, start, end)
        findings = [triage(hit, enrichments[hit.device], suppressions, now) for hit in hits]
        findings.sort(key=lambda f: (f.hunt_id, f.device_name.lower(), f.remote_url, f.first_seen))

    results = respond(responders, findings)
    return RunReport(now=now, findings=tuple(findings), hunts=tuple(outcomes), responders=results,
                     seconds=time.perf_counter() - started)


def _hunt_fields(hunt_id: str, hits: int, seconds: float) -> dict[str, object]:
    """A hunt's numbers as structured fields (Application Insights customDimensions)."""
    return {"event": "hunt", "hunt_id": hunt_id, "hits": hits, "seconds": round(seconds, 3)}


def respond(responders: Sequence[Responder], findings: Sequence[Finding]) -> dict[str, ResponderOutcome]:
    """Hand the findings to each responder; one broad ``except`` each, so one dead service never stops the others.

    Responders with an outbox also have ``prepare(findings)``, called for all of them
    before the first ``send``: every send of the run is on record before any is made,
    so a run that dies part-way (a Function timeout) leaves the later responders' sends
    pending instead of unseen.
    """
    for responder in responders:
        prepare = getattr(responder, "prepare", None)
        if prepare is None:
            continue
        try:
            prepare(findings)
        except Exception as exc:  # send() tries again and reports the failure
            log.error("responder %s could not record its sends: %s", responder.name, describe(exc))
    results: dict[str, ResponderOutcome] = {}
    for responder in responders:
        try:
            results[responder.name] = responder.send(findings)
        except Exception as exc:  # one dead responder must not stop the others
            log.error("responder %s failed: %s", responder.name, describe(exc))
            log.debug("responder %s failed", responder.name, exc_info=True)
            results[responder.name] = ResponderOutcome(failed=len(findings) or 1, detail=type(exc).__name__)
    return results
