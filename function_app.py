"""Azure Functions entry point (Python v2 model): the hunt timer. A door, not a room.

The timer builds the settings once per run, calls the same ``run_configured``
as the CLI, and logs what happened. The schedule is the app setting
``HUNT_SCHEDULE`` (NCRONTAB with seconds, UTC; infra deploys ``0 5 * * * *``,
hourly at minute 5). The project's modules (and through them the Azure SDKs
and DuckDB) are imported inside the function, so indexing the app at cold
start loads nothing but ``azure.functions``.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timezone

import azure.functions as func

app = func.FunctionApp()
log = logging.getLogger("hunting.timer")


@app.function_name(name="hunt")
@app.timer_trigger(schedule="%HUNT_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def hunt(timer: func.TimerRequest) -> None:
    """Run every hunt as of now. Raises (the invocation fails) only when the settings stop the run."""
    from hunting.assemble import run_configured
    from hunting.errors import InputError
    from hunting.observability import configure_telemetry, log_report
    from hunting.settings import Settings
    from hunting.workspace import open_workspace

    if timer.past_due:
        log.warning("timer is past due: this run starts late (the app was down or the previous run overran)")
    try:
        settings = Settings.from_env(os.environ)
        configure_telemetry(settings)
        folder = settings.get("HUNT_WORKSPACE")
        workspace = open_workspace(folder) if folder else None
        report = run_configured(settings, workspace=workspace, now=datetime.now(timezone.utc))
    except InputError as exc:
        log.error("run not started: %s", exc)
        raise
    log_report(report, settings)
