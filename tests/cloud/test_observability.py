"""Run telemetry: structured records per hunt and per run, masked secrets, Application Insights export."""

from __future__ import annotations

import gzip
import json
import logging
import subprocess
import sys
from datetime import datetime, timezone

from pytest_httpserver import HTTPServer
from werkzeug import Response

from hunting.models import ResponderOutcome
from hunting.observability import configure_telemetry, log_report
from hunting.pipeline import HuntOutcome, RunReport
from hunting.settings import Settings

from .conftest import ROOT

NOW = datetime(2026, 12, 3, 12, tzinfo=timezone.utc)
PASSWORD = "s3cret-Passw0rd"


def report_with_a_failure() -> RunReport:
    return RunReport(now=NOW, findings=(), seconds=2.5,
                     hunts=(HuntOutcome("hunt-a", 0, 1.25),
                            HuntOutcome("hunt-b", 0, 0.5, f"SourceError: servicenow: login as svc with {PASSWORD} refused")),
                     responders={"teams": ResponderOutcome(sent=2)})


def test_the_run_gets_one_structured_record(caplog):
    with caplog.at_level(logging.INFO, logger="hunting.run"):
        log_report(report_with_a_failure(), Settings.from_env({}))

    (run,) = [r for r in caplog.records if r.name == "hunting.run"]
    assert run.levelno == logging.WARNING and run.getMessage().startswith("run hunts=2 hits=0")
    assert (run.event, run.hunts, run.hunts_failed, run.notifications, run.seconds) == ("run", 2, 1, 2, 2.5)


def test_secret_setting_values_never_reach_the_log(caplog):
    settings = Settings.from_env({"SERVICENOW_PASSWORD": PASSWORD})

    with caplog.at_level(logging.INFO, logger="hunting.run"):
        log_report(report_with_a_failure(), settings)

    assert PASSWORD not in caplog.text
    assert "login as svc with *** refused" in caplog.text
    assert all(PASSWORD not in str(vars(r)) for r in caplog.records)


def test_without_a_connection_string_nothing_is_exported_and_the_sdks_are_quiet():
    assert configure_telemetry(Settings.from_env({})) is False
    assert logging.getLogger("azure").level == logging.WARNING


def test_with_a_connection_string_records_reach_application_insights(tmp_path):
    received: list[dict] = []

    def ingest(request):
        items = json.loads(gzip.decompress(request.get_data()) if request.headers.get("Content-Encoding") == "gzip"
                           else request.get_data())
        received.extend(items)
        return Response(json.dumps({"itemsReceived": len(items), "itemsAccepted": len(items), "errors": []}),
                        200, content_type="application/json")

    with HTTPServer(host="127.0.0.1", port=0) as ingestion:
        ingestion.expect_request("/v2.1/track", method="POST").respond_with_handler(ingest)
        connection = f"InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint={ingestion.url_for('/')}"
        script = ("import logging, sys\n"
                  "from hunting.settings import Settings\n"
                  "from hunting.observability import configure_telemetry, log_report\n"
                  "from tests.cloud.test_observability import report_with_a_failure\n"
                  "logging.getLogger().setLevel(logging.INFO)\n"
                  "settings = Settings.from_env({'APPLICATIONINSIGHTS_CONNECTION_STRING': sys.argv[1]})\n"
                  "assert configure_telemetry(settings)\n"
                  "log_report(report_with_a_failure(), settings)\n")  # exported on exit, when the SDK flushes
        subprocess.run([sys.executable, "-c", script, connection], cwd=ROOT, check=True, timeout=60,
                       capture_output=True, env={"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path)})

    messages = {item["data"]["baseData"]["message"]: item["data"]["baseData"]["properties"]
                for item in received if item["name"].endswith(".Message")}
    run = next(props for message, props in messages.items() if message.startswith("run hunts=2"))
    assert run["event"] == "run" and run["hunts_failed"] == "1" and run["logger_name"] == "hunting.run"
