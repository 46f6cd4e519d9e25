"""Reading the user's YAML files with errors that name the file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import InputError


def load_yaml(path: Path, loader: type = yaml.SafeLoader) -> Any:
    """YAML from ``path``; a syntax error names the file and line.

    Raises:
        InputError: unreadable or invalid YAML.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from None
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - loader is SafeLoader or a subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise InputError(f"invalid YAML: {problem}", path=path,
                         line=mark.line + 1 if mark else None) from None
