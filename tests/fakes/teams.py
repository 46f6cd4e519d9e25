"""A fake Teams Workflows webhook ("Post to a channel when a webhook request is received").

It accepts ``POST <path>?...&sig=<signature>`` with the message envelope, answers
202 with an empty body like Power Automate does, and keeps every accepted card
(``cards``). A wrong signature is a 401 (as for a deleted or re-keyed flow), a
body that is not a message with one Adaptive Card a 400.
"""

from __future__ import annotations

from typing import Any

from .faults import FaultInjection
from .threaded import FakeService, Reply, Request

PATH = "/workflows/6f7c1d2e/triggers/manual/paths/invoke"
SIGNATURE = "s3cr3t-sig-do-not-log"


class FakeTeamsWebhook(FaultInjection, FakeService):
    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.cards: list[dict[str, Any]] = []

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
            self.cards.append(card)
        return Reply(202)

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
