"""Hunts are data with their fixtures beside them: every hunt runs on its sample rows here."""

from __future__ import annotations

import pytest

from pathlib import Path

from hunting.hunts import QUERIES_DIR, load_hunts
from hunting.sources.local import LocalQuerySource
from hunting.timeparse import parse_moment
from hunting.yamlfile import load_yaml
from tests.conftest import write_jsonl

HUNTS = load_hunts()


@pytest.mark.parametrize("hunt", HUNTS, ids=[h.id for h in HUNTS])
def test_hunt_returns_exactly_the_expected_hits_on_its_fixture(hunt, tmp_path):
    fixture_path = QUERIES_DIR / "fixtures" / Path(hunt.path).name
    assert fixture_path.is_file(), f"every hunt needs sample rows and expected hits in {fixture_path}"
    fixture = load_yaml(fixture_path)
    for table in hunt.tables:
        write_jsonl(tmp_path / f"{table}.jsonl", fixture["rows"])
    result = LocalQuerySource(tmp_path).query(hunt.query, tables=hunt.tables, now=parse_moment(str(fixture["now"])),
                                              timespan=hunt.lookback)
    keys = list(fixture["expect"][0]) if fixture["expect"] else ["DeviceName"]
    got = sorted((tuple(row[k] for k in keys) for row in result.records()), key=str)
    assert got == sorted((tuple(e[k] for k in keys) for e in fixture["expect"]), key=str)
