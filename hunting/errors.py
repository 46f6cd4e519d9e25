"""The project's exceptions.

    HuntingError            base of everything we raise on purpose
    ├── InputError          a user mistake in a file, setting or argument: the CLI
    │   │                   prints it on one line and exits 2; names file and line
    │   └── SettingsError   a missing, unknown or malformed app setting
    └── SourceError         a query or enrichment source failed at run time
                            (service down, throttled, bad answer): the pipeline
                            logs it, fails open and carries on with the rest

Add a type only when a caller handles it differently.
"""

from __future__ import annotations

from pathlib import Path


class HuntingError(Exception):
    """Base of the project's own errors."""


class InputError(HuntingError):
    """A user mistake: bad file, bad row, bad argument. Message names where."""

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None):
        self.path = str(path) if path is not None else None
        self.line = line
        self.detail = message
        where = self.path or ""
        if where and line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {message}" if where else message)


class SettingsError(InputError):
    """An app setting is missing, unknown or malformed; the message names it."""


class SourceError(HuntingError):
    """A source failed at run time; ``source`` names it for reasons and logs."""

    def __init__(self, source: str, message: str):
        self.source = source
        super().__init__(f"{source}: {message}")


def describe(exc: BaseException) -> str:
    """What may be logged or shown of an error: our own messages in full, anyone else's by type only.

    A foreign exception's text (requests, azure-core, a driver) can hold the
    request URL, and a Teams Workflows URL carries its secret signature; our
    own messages are written never to hold one.
    """
    if isinstance(exc, HuntingError):
        return f"{type(exc).__name__}: {exc}"
    return type(exc).__name__
