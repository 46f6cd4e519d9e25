"""``python -m hunting``: run the hunts, list them, or validate the definitions.

    python -m hunting run [--workspace DIR] [--hunt ID ...] [--now ISO8601] [--output FILE]
    python -m hunting list
    python -m hunting validate [--workspace DIR]

A user mistake prints one line naming the file (and line) and exits 2; a run
in which a hunt or responder failed exits 1 after showing what it could.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Sequence

from .errors import InputError
from .timeparse import parse_moment, utc_now

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m hunting", description="Hunt for abused RMM tools (T1219).")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the hunts, enrich, triage and respond")
    run.add_argument("--workspace", help="local workspace folder (default: HUNT_WORKSPACE, else samples/workspace)")
    run.add_argument("--hunt", action="append", metavar="ID", help="run only this hunt (repeatable)")
    run.add_argument("--now", help="pin 'now' for queries and rule expiry (default: the workspace's as_of)")
    run.add_argument("--output", metavar="FILE", help="write every finding as JSON Lines instead of a table")
    run.add_argument("-v", "--verbose", action="store_true", help="log each hunt and lookup")
    commands.add_parser("list", help="list the hunts")
    validate = commands.add_parser("validate", help="check hunt definitions and a workspace's files")
    validate.add_argument("--workspace", help="also check this workspace's inventory, changes and suppressions")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        if args.command == "list":
            return _list()
        if args.command == "validate":
            return _validate(args)
        return _run(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


def _workspace(arg: str | None):
    from .assemble import DEFAULT_WORKSPACE
    from .settings import Settings, with_local_settings
    from .workspace import open_workspace

    settings = Settings.from_env(with_local_settings(os.environ, Path("local.settings.json")))
    return settings, open_workspace(arg or settings.get("HUNT_WORKSPACE") or DEFAULT_WORKSPACE)


def _run(args: argparse.Namespace) -> int:
    from responders.console import ConsoleResponder
    from responders.jsonl import JsonlResponder

    from .assemble import run_configured

    settings, workspace = _workspace(args.workspace)
    if args.now:
        try:
            now = parse_moment(args.now)
        except ValueError as exc:
            raise InputError(f"--now: {exc}") from None
    else:
        now = workspace.as_of() or utc_now()
    if args.output:
        output = Path(args.output)
        if not output.parent.is_dir():
            raise InputError("--output: directory does not exist", path=output.parent)
        responder = JsonlResponder(output)
    else:
        responder = ConsoleResponder()
    report = run_configured(settings, workspace=workspace, now=now, hunt_ids=args.hunt, responders=[responder])
    print(report.summary(), file=sys.stderr)
    return EXIT_FAILED if report.failed else EXIT_OK


def _list() -> int:
    from rich.console import Console
    from rich.table import Table

    from .hunts import load_hunts

    table = Table(title="Hunts")
    table.add_column("id", no_wrap=True, min_width=36)  # ids are copied into --hunt: never fold them
    for column in ("name", "tables", "techniques"):
        table.add_column(column, overflow="fold")
    for hunt in load_hunts():
        table.add_row(hunt.id, hunt.name, ", ".join(hunt.tables), ", ".join(hunt.techniques))
    Console().print(table)
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from enrichment.change_calendar import ChangeCalendar
    from enrichment.inventory import InventoryOwnership
    from enrichment.suppressions import load_suppressions

    from .hunts import load_hunts

    hunts = load_hunts()
    print(f"{len(hunts)} hunt(s) valid")
    if args.workspace:
        _, workspace = _workspace(args.workspace)
        workspace.as_of()
        InventoryOwnership(workspace.inventory)
        ChangeCalendar(workspace.changes)
        rules = load_suppressions(workspace.suppressions)
        print(f"workspace {workspace.root} valid ({len(rules)} suppression rule(s))")
    return EXIT_OK
