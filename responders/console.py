"""A readable table of the run's findings on the terminal."""

from __future__ import annotations

from typing import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from hunting.models import Finding, ResponderOutcome, iso_z

from .text import safe_text

_VERDICT_STYLE = {"suspicious": "bold red", "maintenance": "green", "suppressed": "cyan"}


class ConsoleResponder:
    """Prints one row per finding; every cell is plain Text, so telemetry cannot inject markup."""

    name = "console"

    def __init__(self, console: Console | None = None):
        self._console = console or Console()

    def send(self, findings: Sequence[Finding]) -> ResponderOutcome:
        table = Table(title=f"{len(findings)} finding(s)", show_lines=True, expand=True)
        for column, ratio in (("Verdict", 1), ("Severity", 1), ("Device", 2), ("Owner", 2), ("Remote URL", 2),
                              ("Seen", 2), ("Count", 1), ("Tickets / rules", 2), ("Reasons", 5)):
            table.add_column(column, ratio=ratio, overflow="fold")
        for f in findings:
            owner = f"{f.owner.upn or f.owner.name} ({f.owner.source})" if f.owner else "unknown"
            seen = iso_z(f.first_seen) if f.first_seen == f.last_seen else f"{iso_z(f.first_seen)}\n{iso_z(f.last_seen)}"
            table.add_row(
                Text(f.verdict.value, style=_VERDICT_STYLE[f.verdict.value]),
                Text(f.severity.value),
                Text(safe_text(f.device_name, 80)),
                Text(safe_text(owner, 80)),
                Text(safe_text(f.remote_url, 120)),
                Text(seen),
                Text(str(f.count)),
                Text(safe_text(", ".join((*f.change_tickets, *f.suppression_ids)) or "-", 120)),
                Text("\n".join(f"- {safe_text(r, 300)}" for r in f.reasons) or "-"),
            )
        self._console.print(table)
        return ResponderOutcome(sent=len(findings))
