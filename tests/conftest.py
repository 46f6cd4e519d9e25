"""Fixtures shared by every test folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

import pytest

from hunting.settings import OUR_PREFIXES


@pytest.fixture(autouse=True)
def _clean_settings_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No app setting leaks from the developer's shell (or another test) into a test."""
    import os

    for name in list(os.environ):
        if name.startswith(OUR_PREFIXES):
            monkeypatch.delenv(name)


def write_jsonl(path: Path, rows: Iterable[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path
