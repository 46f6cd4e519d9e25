"""Building a run's parts from settings: query source, enricher, suppressions, responders.

Every plugin class has ``from_context(context)``, so adding a source or a
responder is one module plus one registry line; nothing here changes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Sequence

from .errors import SettingsError
from .hunts import load_hunts, select_hunts
from .pipeline import Responder, RunReport, run_hunts
from .registry import load_plugin
from .settings import Settings
from .sources import QUERY_SOURCES, QuerySource
from .workspace import Workspace

DEFAULT_WORKSPACE = Path(__file__).resolve().parent.parent / "samples" / "workspace"


@dataclass(frozen=True)
class Context:
    """What a plugin may need to build itself."""

    settings: Settings
    workspace: Workspace | None
    query_source: QuerySource | None = None
    now: datetime | None = None  # the run's "now", for plugins that query as of it

    def require_workspace(self, what: str) -> Workspace:
        """The local workspace, for plugins that read its files.

        Raises:
            SettingsError: no workspace is configured.
        """
        if self.workspace is None:
            raise SettingsError(f"{what} reads the local workspace: set HUNT_WORKSPACE or --workspace")
        return self.workspace


def build_query_source(context: Context) -> QuerySource:
    cls = load_plugin(QUERY_SOURCES, context.settings.get("HUNT_QUERY_SOURCE"), setting="HUNT_QUERY_SOURCE")
    return cls.from_context(context)


def build_plugins(registry: dict[str, str], setting: str, context: Context) -> list[Any]:
    """One instance per name listed in ``setting``, in order; building validates their inputs."""
    return [load_plugin(registry, name, setting=setting).from_context(context)
            for name in context.settings.get_list(setting)]


def run_configured(
    settings: Settings,
    *,
    workspace: Workspace | None,
    now: datetime,
    hunt_ids: Sequence[str] | None = None,
    responders: Sequence[Responder] = (),
) -> RunReport:
    """Build everything the settings name and run the hunts: what the CLI and the timer call.

    Everything is built (and every local file validated) before the first query,
    so a bad row stops the run at once instead of after an hour of hunting.

    Raises:
        InputError: a bad setting, file, row or hunt id.
    """
    from enrichment import CHANGE_SOURCES, OWNERSHIP_SOURCES
    from enrichment.enricher import Enricher
    from enrichment.suppressions import load_suppressions
    from responders import RESPONDERS

    hunts = select_hunts(load_hunts(), hunt_ids)
    context = Context(settings, workspace, now=now)
    context = replace(context, query_source=build_query_source(context))
    enricher = Enricher(
        build_plugins(OWNERSHIP_SOURCES, "HUNT_OWNERSHIP_SOURCES", context),
        build_plugins(CHANGE_SOURCES, "HUNT_CHANGE_SOURCES", context),
    )
    rules_file = settings.get("HUNT_SUPPRESSIONS") or (workspace.suppressions if workspace else None)
    suppressions = load_suppressions(Path(rules_file)) if rules_file else []
    configured = build_plugins(RESPONDERS, "HUNT_RESPONDERS", context)
    return run_hunts(hunts, source=context.query_source, enricher=enricher, suppressions=suppressions,
                     now=now, responders=[*responders, *configured])
