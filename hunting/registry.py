"""Plugin registries: plain dicts of name -> "module:Class", resolved on first use.

Keeping the class as a string means choosing ``console`` never imports the
Azure SDKs that ``sentinel`` needs, which keeps the CLI and a cold start fast.
"""

from __future__ import annotations

import importlib
from typing import Mapping

from .errors import SettingsError


def load_plugin(registry: Mapping[str, str], name: str, *, setting: str) -> type:
    """The class registered under ``name``.

    Raises:
        SettingsError: no entry has that name; the message names the setting and the known entries.
    """
    if name not in registry:
        raise SettingsError(f"unknown value {name!r} in {setting}; known: {', '.join(sorted(registry))}")
    module, _, attr = registry[name].partition(":")
    return getattr(importlib.import_module(module), attr)
