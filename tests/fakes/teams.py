"""A fake Teams Workflows webhook ("Post to a channel when a webhook request is received").

It accepts ``POST <path>?...&sig=<signature>`` with the message envelope, answers
202 with an empty body like Power Automate does, and keeps every accepted card
(``cards``). A wrong signature is a 401 (as for a deleted or re-keyed flow), a
body that is not a message with one Adaptive Card a 400.
"""

from __future__ import annotations

import re
from typing import Any

from .faults import AMBIGUOUS, FaultInjection
from .threaded import FakeService, Reply, Request

PATH = "/workflows/6f7c1d2e/triggers/manual/paths/invoke"
SIGNATURE = "s3cr3t-sig-do-not-log"


class FakeTeamsWebhook(FaultInjection, FakeService):
    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.cards: list[dict[str, Any]] = []
        self.lost_answers: list[int] = []  # indexes of cards accepted whose answer was then lost

    @property
    def webhook_url(self) -> str:
        return f"{self.url}{PATH}?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={SIGNATURE}"

    def handle(self, request: Request) -> Reply:
        if request.method != "POST" or request.path != PATH:
            return Reply(404, {"error": {"code": "NotFound", "message": "no such workflow"}})
        if request.query.get("sig") != SIGNATURE:
            return Reply(401, {"error": {"code": "DirectApiAuthorizationRequired", "message": "bad signature"}})
        try:
            body = request.json()
            attachments = body["attachments"]
            card = attachments[0]["content"]
            ok = (body.get("type") == "message" and len(attachments) == 1
                  and attachments[0].get("contentType") == "application/vnd.microsoft.card.adaptive"
                  and card.get("type") == "AdaptiveCard")
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            ok = False
        if not ok:
            return Reply(400, {"error": {"code": "InvalidRequestContent", "message": "not a message with a card"}})
        with self._lock:
            if self.current_fault in AMBIGUOUS:
                self.lost_answers.append(len(self.cards))
            self.cards.append(card)
        return Reply(202)

    def postings(self, cards: list[dict[str, Any]] | None = None) -> list[tuple[str, str]]:
        """(finding element id, last seen) of every finding in every accepted card (or in ``cards``), in order."""
        found: list[tuple[str, str]] = []
        for card in self.cards if cards is None else cards:
            body = card.get("body", [])
            if body and body[0].get("type") == "Container" and "id" in body[0]:  # one finding, in full
                facts = {f["title"]: f["value"] for f in body[1].get("facts", [])}
                found.append((body[0]["id"], facts.get("Last seen", "")))
            for block in body[1:]:  # digest lines
                if str(block.get("id", "")).startswith("finding-"):
                    last = re.search(r"last (\S+Z)", block.get("text", ""))
                    found.append((block["id"], last.group(1) if last else ""))
        return found

    def element_ids(self) -> list[str]:
        """The finding element ids of every accepted card, in order (repeats mean a finding was posted again)."""
        found: list[str] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if str(node.get("id", "")).startswith("finding-"):
                    found.append(node["id"])
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        for card in self.cards:
            walk(card.get("body", []))
        return found
