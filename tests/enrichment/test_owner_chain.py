"""The ownership chain: first source wins, a different owner elsewhere is noted, the same person is not."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from enrichment.enricher import Enricher, same_person
from hunting.models import Device, Owner

T = datetime(2026, 12, 3, tzinfo=timezone.utc)


class Fixed:
    def __init__(self, name: str, owner: Owner):
        self.name, self.owner = name, owner

    def lookup_owners(self, devices):
        return {d: self.owner for d in devices}


@pytest.mark.parametrize("a, b, same", [
    ("alice@contoso.com", "CONTOSO\\alice", True),
    ("Alice@Contoso.com", "alice@contoso.com", True),
    ("alice@contoso.com", "FABRIKAM\\alice", False),
    ("alice@contoso.com", "CONTOSO\\bob", False),
    ("IT Operations", "it operations", True),
])
def test_same_person_across_account_forms(a, b, same):
    assert same_person(Owner(a, "", "", "x"), Owner("", b, "", "y")) is same


def test_defender_account_and_intune_upn_of_one_person_are_not_a_disagreement():
    device = Device("d", "ws-1.contoso.com")
    enricher = Enricher([Fixed("defender", Owner("", "CONTOSO\\alice", "", "defender")),
                         Fixed("intune", Owner("alice@contoso.com", "Alice", "", "intune")),
                         Fixed("servicenow", Owner("bob@contoso.com", "Bob", "", "servicenow"))], [])
    result = enricher.enrich([device], T, T)[device]
    assert result.owner.source == "defender"
    assert result.notes == ("owner per servicenow is bob@contoso.com (kept defender: CONTOSO\\alice)",)
