"""The run's findings on the terminal: a summary table, then each finding's reasons."""

from __future__ import annotations

from typing import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from hunting.models import Finding, ResponderOutcome, iso_z

from .text import safe_text

_VERDICT_STYLE = {"suspicious": "bold red", "maintenance": "green", "suppressed": "cyan"}
_SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "", "informational": "dim"}


class ConsoleResponder:
    """Every cell is plain ``Text`` after ``safe_text``: telemetry can inject neither markup nor escapes."""

    name = "console"

    def __init__(self, console: Console | None = None):
        self._console = console or Console()

    @classmethod
    def from_context(cls, context: object) -> "ConsoleResponder":
        return cls()

    def send(self, findings: Sequence[Finding]) -> ResponderOutcome:
        ordered = sorted(findings, key=lambda f: (f.verdict.value != "suspicious", f.severity.value != "high",
                                                  f.device_name.lower()))
        table = Table(title=f"{len(findings)} finding(s)", title_justify="left")
        for column in ("#", "verdict", "severity", "device", "owner", "remote url", "count", "last seen",
                       "tickets / rules"):
            table.add_column(column, overflow="fold",
                             no_wrap=column in ("#", "verdict", "severity", "count", "last seen"))
        for number, f in enumerate(ordered, start=1):
            owner = f"{f.owner.upn or f.owner.name} ({f.owner.source})" if f.owner else "unknown"
            table.add_row(
                str(number),
                Text(f.verdict.value, style=_VERDICT_STYLE[f.verdict.value]),
                Text(f.severity.value, style=_SEVERITY_STYLE[f.severity.value]),
                Text(safe_text(f.device_name, 60)),
                Text(safe_text(owner, 60)),
                Text(safe_text(f.remote_url, 80)),
                str(f.count),
                iso_z(f.last_seen),
                Text(safe_text(", ".join((*f.change_tickets, *f.suppression_ids)) or "-", 80)),
            )
        self._console.print(table)
        for number, f in enumerate(ordered, start=1):
            heading = Text(f"#{number} {f.verdict.value}: ", style=_VERDICT_STYLE[f.verdict.value])
            heading.append(f"{safe_text(f.device_name, 60)} -> {safe_text(f.remote_url, 80)}", style="bold")
            self._console.print(heading)
            for reason in f.reasons:
                self._console.print(Text(f"   - {safe_text(reason, 400)}"))
        return ResponderOutcome(sent=len(findings))
