"""The timer function: its binding as the Functions host indexes it, and a run against the fake service."""

from __future__ import annotations

import functools
import json
import logging
import subprocess
import sys

import pytest
from azure.functions.timer import TimerRequest

import function_app
from hunting.errors import SettingsError

from .conftest import ROOT, SAMPLE


@functools.cache
def the_function():
    """The indexed function; the app indexes once, as the host does (a second get_functions() raises)."""
    (function,) = function_app.app.get_functions()
    return function


def test_the_app_exposes_one_timer_on_the_schedule_setting():
    function = the_function()
    binding = json.loads(function.get_function_json())["bindings"]

    assert function.get_function_name() == "hunt"
    assert binding == [{"direction": "IN", "type": "timerTrigger", "name": "timer",
                        "schedule": "%HUNT_SCHEDULE%", "runOnStartup": False, "useMonitor": True}]


def test_a_timer_run_hunts_through_log_analytics_and_logs_its_summary(in_azure, fake, tmp_path, caplog):
    findings_file = tmp_path / "findings.jsonl"
    in_azure.setenv("HUNT_WORKSPACE", str(SAMPLE))  # enrichment files deployed with the app
    in_azure.setenv("HUNT_RESPONDERS", "jsonl")
    in_azure.setenv("HUNT_FINDINGS_FILE", str(findings_file))

    with caplog.at_level(logging.INFO):
        the_function().get_user_function()(TimerRequest(past_due=True))

    assert "timer is past due" in caplog.text
    written = [json.loads(line) for line in findings_file.read_text(encoding="utf-8").splitlines()]
    assert len(written) == 13 and {f["verdict"] for f in written} == {"suspicious", "maintenance", "suppressed"}
    (summary,) = [r for r in caplog.records if r.name == "hunting.run" and r.getMessage().startswith("run ")]
    assert summary.levelno == logging.INFO
    assert "hunts=1 hits=13 suspicious=6 maintenance=4 suppressed=3 jsonl_sent=13" in summary.getMessage()
    assert summary.hits == 13 and summary.notifications == 13
    assert [r.body["query"] for r in fake.requests][0].startswith("let Time_start = now(-5d);")


def test_a_run_without_the_workspace_id_fails_naming_the_setting(in_azure, caplog):
    in_azure.delenv("HUNT_LOG_ANALYTICS_WORKSPACE_ID")

    with pytest.raises(SettingsError, match="missing setting HUNT_LOG_ANALYTICS_WORKSPACE_ID"):
        function_app.hunt(TimerRequest(past_due=False))
    assert "run not started: missing setting HUNT_LOG_ANALYTICS_WORKSPACE_ID" in caplog.text


def test_a_misspelt_setting_stops_the_run_naming_it(in_azure, caplog):
    in_azure.setenv("HUNT_LOG_ANALYTICS_WORKSPACEID", "x")

    with pytest.raises(SettingsError, match="unknown setting HUNT_LOG_ANALYTICS_WORKSPACEID; did you mean"):
        function_app.hunt(TimerRequest(past_due=False))


def test_indexing_the_app_loads_no_sdk_and_no_pipeline():
    probe = ("import sys, function_app; heavy = ('azure.monitor', 'azure.identity', 'duckdb', 'hunting', 'requests');"
             "print(sorted(m for m in sys.modules if m.startswith(heavy)))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "[]"
