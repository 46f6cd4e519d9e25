"""A local workspace folder: exported tables plus the files enrichment reads.

    WORKSPACE/
      workspace.yaml        optional: {as_of: <ISO 8601>} the moment it was captured
      tables/<Table>.jsonl|.csv|.parquet
      inventory.csv         device ownership
      changes.csv           change calendar
      suppressions.yaml     approved exceptions (optional)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .errors import InputError
from .yamlfile import load_yaml
from .timeparse import parse_moment


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def tables_dir(self) -> Path:
        return self.root / "tables"

    @property
    def inventory(self) -> Path:
        return self.root / "inventory.csv"

    @property
    def changes(self) -> Path:
        return self.root / "changes.csv"

    @property
    def suppressions(self) -> Path:
        return self.root / "suppressions.yaml"

    @property
    def manifest(self) -> Path:
        return self.root / "workspace.yaml"

    def as_of(self) -> datetime | None:
        """When the sample was captured, so ``--now`` can default to it; None for a live folder.

        Raises:
            InputError: workspace.yaml is invalid or its as_of is not a date.
        """
        if not self.manifest.is_file():
            return None
        data = load_yaml(self.manifest) or {}
        if not isinstance(data, dict):
            raise InputError("expected a mapping such as 'as_of: 2026-12-03T12:00:00Z'", path=self.manifest)
        if data.get("as_of") in (None, ""):
            return None
        value = data["as_of"]
        if isinstance(value, datetime):
            value = value.isoformat()
        try:
            return parse_moment(str(value))
        except ValueError as exc:
            raise InputError(f"as_of: {exc}", path=self.manifest) from None


def open_workspace(path: str | Path) -> Workspace:
    """The workspace at ``path``.

    Raises:
        InputError: not a readable directory with a tables/ folder.
    """
    root = Path(path)
    if not root.is_dir():
        raise InputError("workspace is not a directory", path=root)
    if not (root / "tables").is_dir():
        raise InputError("workspace has no tables/ directory", path=root)
    try:
        next(iter((root / "tables").iterdir()), None)
    except OSError as exc:
        raise InputError(f"workspace is unreadable: {exc.strerror or exc}", path=root) from None
    return Workspace(root)
