"""What a run tells operators: the structured run record, secret masking, optional App Insights export.

The records carry their numbers twice: in the message (the Functions host
forwards only the text to Application Insights) and as ``extra`` fields (which
azure-monitor-opentelemetry exports as ``customDimensions``, so a workbook can
chart hits and durations per hunt). Nothing here logs a setting's value; and
because a service could echo a secret back in an error, every text logged here
has the secret settings' values masked first.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import TYPE_CHECKING, Any

from .settings import SETTINGS

if TYPE_CHECKING:
    from .pipeline import RunReport
    from .settings import Settings

log = logging.getLogger("hunting.run")

#: Loggers that speak too much at INFO for an hourly job (azure-core logs every request).
NOISY_LOGGERS = ("azure", "urllib3", "msal")

_exporting = False


def configure_telemetry(settings: "Settings") -> bool:
    """Quiet the SDK loggers; export logs to Application Insights when its connection string is set.

    Runs once per process (the Functions worker lives across invocations); returns whether exporting.
    """
    global _exporting
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    connection_string = settings.get("APPLICATIONINSIGHTS_CONNECTION_STRING")
    if connection_string and not _exporting:
        from azure.monitor.opentelemetry import configure_azure_monitor

        configure_azure_monitor(connection_string=connection_string, enable_live_metrics=False,
                                enable_performance_counters=False)
        _exporting = True
    return _exporting


def mask_secrets(text: str, settings: "Settings") -> str:
    """``text`` with the value of every secret setting replaced by ``***``."""
    for setting in SETTINGS:
        value = settings.values.get(setting.name, "") if setting.secret else ""
        if len(value) >= 4:  # a one-letter "secret" would mask every occurrence of that letter
            text = text.replace(value, "***")
    return text


def run_fields(report: "RunReport") -> dict[str, Any]:
    """The run's numbers, as exported custom dimensions."""
    verdicts = Counter(f.verdict.value for f in report.findings)
    return {
        "event": "run",
        "hunts": len(report.hunts),
        "hunts_failed": sum(1 for h in report.hunts if h.error),
        "hits": len(report.findings),
        "suspicious": verdicts.get("suspicious", 0),
        "maintenance": verdicts.get("maintenance", 0),
        "suppressed": verdicts.get("suppressed", 0),
        "notifications": sum(o.sent for o in report.responders.values()),
        "responders_failed": sum(1 for o in report.responders.values() if o.failed),
        "seconds": round(report.seconds, 3),
    }


def log_report(report: "RunReport", settings: "Settings") -> None:
    """The run's one-line summary as a structured record (WARNING when anything failed).

    The per-hunt records are written by the pipeline as each hunt ends, so a run
    that dies part-way has still told what it did.
    """
    level = logging.WARNING if report.failed else logging.INFO
    log.log(level, "%s", mask_secrets(report.summary(), settings), extra=run_fields(report))
