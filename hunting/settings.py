"""App settings: one table of every setting, read once from the environment.

In Azure the environment is the Function app's settings (secrets arrive as Key
Vault references, resolved by the platform); locally it is the shell, or the
``Values`` of ``local.settings.json``. A setting that looks like ours but is
not in the table is an error naming it, so a typo never silently falls back to
a default.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from .errors import InputError, SettingsError


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str
    secret: bool = False


#: Every setting the app reads. Add a row here; nothing else reads the environment.
SETTINGS: tuple[Setting, ...] = (
    Setting("HUNT_WORKSPACE", "", "local workspace folder (default: the bundled samples/workspace)"),
    Setting("HUNT_QUERY_SOURCE", "local", "where hunts run: local | loganalytics"),
    Setting("HUNT_OWNERSHIP_SOURCES", "inventory", "ownership sources in order, comma-separated"),
    Setting("HUNT_CHANGE_SOURCES", "calendar", "change sources, comma-separated"),
    Setting("HUNT_SUPPRESSIONS", "", "suppressions.yaml to use (default: the workspace's)"),
    Setting("HUNT_RESPONDERS", "", "responders for the timer run, comma-separated"),
    Setting("HUNT_FINDINGS_FILE", "", "JSON Lines file the jsonl responder writes"),
    Setting("HUNT_HTTP_RETRY_ATTEMPTS", "5", "attempts per HTTP call before giving up (429/5xx/connection)"),
    Setting("HUNT_HTTP_RETRY_SECONDS", "60", "total seconds one HTTP call may spend retrying"),
    Setting("HUNT_HTTP_TIMEOUT", "30", "seconds before one HTTP request times out"),
    # Enrichment from Defender, Intune (Graph) and ServiceNow (CMDB, change_request)
    Setting("SERVICENOW_INSTANCE_URL", "", "ServiceNow instance, e.g. https://contoso.service-now.com"),
    Setting("SERVICENOW_USERNAME", "", "ServiceNow user for HTTP Basic auth (or set the OAuth client instead)"),
    Setting("SERVICENOW_PASSWORD", "", "password of SERVICENOW_USERNAME (a Key Vault reference)", secret=True),
    Setting("SERVICENOW_CLIENT_ID", "", "ServiceNow OAuth client id (client credentials grant)"),
    Setting("SERVICENOW_CLIENT_SECRET", "", "ServiceNow OAuth client secret (a Key Vault reference)", secret=True),
    Setting("SERVICENOW_PAGE_SIZE", "1000", "records per ServiceNow Table API page (sysparm_limit)"),
    Setting("SERVICENOW_CONCURRENCY", "4", "parallel ServiceNow requests per lookup"),
    Setting("HUNT_GRAPH_ENDPOINT", "https://graph.microsoft.com/v1.0", "Microsoft Graph base URL (Intune)"),
    Setting("HUNT_GRAPH_CONCURRENCY", "4", "parallel Microsoft Graph $batch requests"),
    Setting("HUNT_DEFENDER_LOOKBACK", "30d", "how far back the defender source reads DeviceInfo (e.g. 30d)"),
    # Azure: timer schedule, Log Analytics query source, Application Insights export (issue 3)
    Setting("HUNT_SCHEDULE", "0 5 * * * *",
            "timer schedule, NCRONTAB with seconds, UTC; read by the Functions host as %HUNT_SCHEDULE% "
            "(default: hourly at minute 5)"),
    Setting("HUNT_LOG_ANALYTICS_WORKSPACE_ID", "",
            "Log Analytics workspace ID (a GUID); required when HUNT_QUERY_SOURCE=loganalytics"),
    Setting("HUNT_LOG_ANALYTICS_ENDPOINT", "https://api.loganalytics.io",
            "Log Analytics query API (other clouds: https://api.loganalytics.azure.cn, ...)"),
    Setting("HUNT_LOG_ANALYTICS_SERVER_TIMEOUT", "180",
            "seconds the service may spend on one query (Prefer: wait=N; at most 600)"),
    Setting("APPLICATIONINSIGHTS_CONNECTION_STRING", "",
            "Application Insights connection string; when set, logs are also exported with "
            "azure-monitor-opentelemetry"),
    # Responders: Teams, Sentinel and ServiceNow incidents, and their state store (dedup + outbox)
    Setting("HUNT_STATE_STORE", "sqlite", "where dedup state and the outbox live: sqlite | azuretables"),
    Setting("HUNT_STATE_PATH", ".state/hunt-state.sqlite", "SQLite state file (HUNT_STATE_STORE=sqlite)"),
    Setting("HUNT_STATE_TABLE_ENDPOINT", "", "Table service URL, managed identity "
            "(e.g. https://<account>.table.core.windows.net)"),
    Setting("HUNT_STATE_CONNECTION_STRING", "", "storage connection string instead of the endpoint (Azurite)",
            secret=True),
    Setting("HUNT_STATE_TABLE", "huntstate", "Azure table holding the state (HUNT_STATE_STORE=azuretables)"),
    Setting("HUNT_TEAMS_WEBHOOK_URL", "", "Teams Workflows webhook URL (its SAS signature makes it a secret)",
            secret=True),
    Setting("HUNT_TEAMS_VERDICTS", "suspicious", "verdicts posted to Teams; explained ones as one digest line each"),
    Setting("HUNT_TEAMS_MAX_CARDS", "10", "more suspicious findings than this in one run go out as digest cards"),
    Setting("HUNT_SENTINEL_SUBSCRIPTION_ID", "", "subscription of the Sentinel workspace"),
    Setting("HUNT_SENTINEL_RESOURCE_GROUP", "", "resource group of the Sentinel workspace"),
    Setting("HUNT_SENTINEL_WORKSPACE", "", "Log Analytics workspace name Sentinel runs on"),
    Setting("HUNT_SENTINEL_ARM_ENDPOINT", "https://management.azure.com", "Azure Resource Manager endpoint"),
    Setting("SERVICENOW_INCIDENT_ASSIGNMENT_GROUP", "", "sys_id of the group new ServiceNow incidents go to"),
)

#: Prefixes that mark an environment variable as ours, for catching typos.
OUR_PREFIXES = ("HUNT_", "SERVICENOW_")


@dataclass(frozen=True)
class Settings:
    """Validated settings; ``get`` returns the value or the table's default."""

    values: Mapping[str, str]

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "Settings":
        """Settings from an environment mapping.

        Raises:
            SettingsError: a variable with one of our prefixes that no setting has.
        """
        known = {s.name for s in SETTINGS}
        for name in sorted(environ):
            if name.startswith(OUR_PREFIXES) and name not in known:
                close = difflib.get_close_matches(name, known, n=1)
                hint = f"; did you mean {close[0]}?" if close else ""
                raise SettingsError(f"unknown setting {name}{hint}")
        return cls({name: environ[name] for name in known if environ.get(name, "") != ""})

    def get(self, name: str) -> str:
        setting = _BY_NAME.get(name)
        if setting is None:
            raise KeyError(name)  # a programming error: every setting is in the table
        return self.values.get(name, setting.default)

    def get_list(self, name: str) -> list[str]:
        return [part.strip() for part in self.get(name).split(",") if part.strip()]

    def get_float(self, name: str) -> float:
        """A numeric setting.

        Raises:
            SettingsError: not a number.
        """
        value = self.get(name)
        try:
            return float(value)
        except ValueError:
            raise SettingsError(f"setting {name} must be a number, got {value!r}") from None

    def require(self, name: str) -> str:
        """The value of a setting that has no default here.

        Raises:
            SettingsError: it is not set.
        """
        value = self.get(name)
        if not value:
            raise SettingsError(f"missing setting {name}: {_BY_NAME[name].help}")
        return value


_BY_NAME = {s.name: s for s in SETTINGS}


def with_local_settings(environ: Mapping[str, str], path: Path) -> dict[str, str]:
    """``environ`` on top of the ``Values`` of a Functions ``local.settings.json``, if there is one.

    The Functions host loads that file itself; the CLI reads it here so one file
    configures both. The environment wins, as it does for the host.

    Raises:
        InputError: the file is not JSON, or its Values is not an object of strings.
    """
    if not path.is_file():
        return dict(environ)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a readable JSON file: {exc}", path=path) from None
    values = data.get("Values", {}) if isinstance(data, dict) else None
    if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
        raise InputError('"Values" must be an object of strings', path=path)
    return {**values, **environ}
