"""Every finding of the run as JSON Lines (design.md's finding shape), whatever dedup decides."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from hunting.errors import InputError
from hunting.models import Finding, ResponderOutcome

if TYPE_CHECKING:
    from hunting.assemble import Context


class JsonlResponder:
    """Writes the whole file at once through a temporary file, so a crash never leaves half a run."""

    name = "jsonl"

    def __init__(self, path: str | Path):
        self._path = Path(path)

    @classmethod
    def from_context(cls, context: "Context") -> "JsonlResponder":
        return cls(context.settings.require("HUNT_FINDINGS_FILE"))

    def send(self, findings: Sequence[Finding]) -> ResponderOutcome:
        temporary = self._path.with_name(f".{self._path.name}.tmp")
        try:
            with temporary.open("w", encoding="utf-8") as handle:
                for finding in findings:
                    handle.write(json.dumps(finding.as_json(), ensure_ascii=False) + "\n")
            os.replace(temporary, self._path)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise InputError(f"cannot write findings: {exc.strerror or exc}", path=self._path) from None
        return ResponderOutcome(sent=len(findings))
