"""Adaptive Cards: the golden card, the official 1.4 schema, escaping of telemetry, size limits."""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from hunting.models import Severity, Verdict
from responders.cards import (CARD_VERSION, MAX_MESSAGE_BYTES, Link, digest_cards, element_id, finding_card,
                              message_bytes)

from .cardschema import schema_errors
from .findings import T0, finding

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "teams_card_suspicious.json"
SENTINEL = Link("Open Sentinel incident 3177", "https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/"
                "Incident/subscriptions/0000/resourceGroups/rg-soc/providers/Microsoft.OperationalInsights/"
                "workspaces/law-soc/providers/Microsoft.SecurityInsights/Incidents/6c1f0e5e")
EVIL_DEVICE = "[click me](https://evil.example/x) **urgent** <img src=x onerror=alert(1)>\x1b[31m\u202e"


def _all_text(card: dict) -> str:
    return json.dumps(card, ensure_ascii=False)


def test_suspicious_card_matches_golden_file() -> None:
    """Regenerate with UPDATE_GOLDEN=1 and review the diff."""
    card = finding_card(finding(), [SENTINEL])
    text = json.dumps(card, indent=2, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


@pytest.mark.parametrize("build", [
    lambda: finding_card(finding(), [SENTINEL]),
    lambda: finding_card(finding(owner=None, tickets=(), reasons=tuple(f"reason {i}" for i in range(20)))),
    lambda: finding_card(finding(verdict=Verdict.MAINTENANCE, severity=Severity.INFORMATIONAL, device_id="")),
    lambda: finding_card(finding(device=EVIL_DEVICE, url="https://evil.example/a?b=(c)")),
    lambda: digest_cards("Suspicious RMM activity", [finding(f"ws-{i:04d}") for i in range(30)],
                         {finding("ws-0001").dedup_key: [SENTINEL]})[0][0],
])
def test_cards_validate_against_the_official_1_4_schema(build) -> None:
    card = build()
    assert card["version"] == CARD_VERSION == "1.4"
    assert schema_errors(card) == []


def test_attacker_strings_cannot_make_links_markup_or_control_sequences() -> None:
    card = finding_card(finding(device=EVIL_DEVICE, url="https://evil.example/a?b=(c)",
                                reasons=("see [here](https://evil.example)",)))
    text = _all_text(card)
    assert "](https://evil" not in text and "[click me](" not in text
    assert "https://evil" not in text  # no auto-linkable URL from telemetry anywhere
    assert "**urgent**" not in text
    assert not re.search(r"(?<!\\\\)<img", text) and "\\\\<img" in text  # a literal '<', never a tag
    assert "\x1b" not in text and "\u202e" not in text
    assert "\\\\u001b" in text  # shown, not acted on
    assert "hxxps\\\\[:\\\\]//evil\\\\[.\\\\]example" in text  # the remote URL, defanged
    assert [a["url"] for a in card["actions"]] == [
        "https://security.microsoft.com/machines/v2/a1b2c3d4e5f60718293a4b5c6d7e8f9012345678/overview"]


def test_long_values_are_cut_with_a_marker() -> None:
    card = finding_card(finding(device="ws-" + "x" * 5000, url="a" * 5000 + ".com"))
    facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
    assert len(facts["Device"]) <= 130 and facts["Device"].endswith("…\\[truncated\\]")
    assert facts["Remote URL"].endswith("…\\[truncated\\]")


def test_device_id_in_the_defender_link_is_percent_encoded() -> None:
    card = finding_card(finding(device_id="../../evil?x=1#"))
    assert card["actions"][0]["url"] == \
        "https://security.microsoft.com/machines/v2/..%2F..%2Fevil%3Fx%3D1%23/overview"


def test_digest_splits_into_cards_under_the_size_limit_and_lists_each_finding_once() -> None:
    findings = [finding(f"ws-{i:04d}.contoso.com", device_id=f"d{i}", url="x" * 150 + ".com",
                        last=T0 + timedelta(minutes=i)) for i in range(400)]
    cards = digest_cards("Suspicious RMM activity", findings, {})
    assert len(cards) > 1
    assert all(message_bytes(card) <= MAX_MESSAGE_BYTES for card, _ in cards)
    listed = [f for _, members in cards for f in members]
    assert listed == findings
    ids = [block["id"] for card, _ in cards for block in card["body"] if "id" in block]
    assert ids == [element_id(f) for f in findings]
    assert all(schema_errors(card) == [] for card, _ in cards)


def test_digest_line_links_the_incident_and_escapes_the_device() -> None:
    f = finding(device="evil_(name)")
    [(card, _)] = digest_cards("Suspicious RMM activity", [f], {f.dedup_key: [SENTINEL]})
    line = card["body"][1]["text"]
    assert "evil\\_\\(name\\)" in line
    assert re.search(r"\[Open Sentinel incident 3177\]\(https://portal\.azure\.com/[^ ()]+\)", line)


def test_explained_finding_line_names_its_ticket() -> None:
    f = replace(finding(), verdict=Verdict.MAINTENANCE, severity=Severity.INFORMATIONAL)
    [(card, _)] = digest_cards("Explained RMM activity", [f], {})
    assert "**MAINTENANCE** informational" in card["body"][1]["text"]
    assert "CHG0030001" in card["body"][1]["text"]
