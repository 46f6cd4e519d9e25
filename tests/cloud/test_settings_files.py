"""App settings from files: the example local.settings.json, and the CLI reading its Values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hunting.cli import main
from hunting.errors import InputError
from hunting.settings import SETTINGS, Settings, with_local_settings

from .conftest import ROOT

EXAMPLE = ROOT / "local.settings.example.json"
HOST_ONLY = {"AzureWebJobsStorage", "FUNCTIONS_WORKER_RUNTIME"}  # read by the Functions host, not by us


def example_values() -> dict[str, str]:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))["Values"]


def test_the_example_lists_every_setting_and_nothing_else():
    assert set(example_values()) - HOST_ONLY == {s.name for s in SETTINGS}


def test_the_example_carries_no_secret_value():
    values = example_values()

    assert {s.name: values[s.name] for s in SETTINGS if s.secret} == {s.name: "" for s in SETTINGS if s.secret}


def test_the_example_is_valid_settings():
    settings = Settings.from_env(example_values())

    assert settings.require("HUNT_LOG_ANALYTICS_WORKSPACE_ID")
    assert settings.get("HUNT_SCHEDULE") == "0 5 * * * *"


def write(path: Path, values: object) -> Path:
    path.write_text(json.dumps({"IsEncrypted": False, "Values": values}), encoding="utf-8")
    return path


def test_local_settings_fill_in_what_the_environment_does_not_set(tmp_path):
    path = write(tmp_path / "local.settings.json", {"HUNT_QUERY_SOURCE": "loganalytics", "HUNT_HTTP_TIMEOUT": "9"})

    merged = with_local_settings({"HUNT_HTTP_TIMEOUT": "3"}, path)

    assert merged == {"HUNT_QUERY_SOURCE": "loganalytics", "HUNT_HTTP_TIMEOUT": "3"}


def test_no_local_settings_file_means_the_environment_alone(tmp_path):
    assert with_local_settings({"HUNT_HTTP_TIMEOUT": "3"}, tmp_path / "missing.json") == {"HUNT_HTTP_TIMEOUT": "3"}


@pytest.mark.parametrize("content", ["{not json", json.dumps({"Values": {"HUNT_HTTP_TIMEOUT": 3}}), "[]"])
def test_a_malformed_local_settings_file_names_the_file(tmp_path, content):
    path = tmp_path / "local.settings.json"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(InputError, match="local.settings.json"):
        with_local_settings({}, path)


def test_the_cli_reads_local_settings_json_and_names_an_unknown_setting(tmp_path, monkeypatch, capsys):
    write(tmp_path / "local.settings.json", {"HUNT_QUERY_SORCE": "loganalytics"})
    monkeypatch.chdir(tmp_path)

    assert main(["run", "--workspace", str(ROOT / "samples" / "workspace")]) == 2
    assert "unknown setting HUNT_QUERY_SORCE; did you mean HUNT_QUERY_SOURCE?" in capsys.readouterr().err


def test_the_cli_runs_with_the_source_local_settings_json_chooses(tmp_path, monkeypatch, capsys):
    write(tmp_path / "local.settings.json", {"HUNT_QUERY_SOURCE": "loganalytics"})
    monkeypatch.chdir(tmp_path)

    assert main(["run", "--workspace", str(ROOT / "samples" / "workspace")]) == 2
    assert "missing setting HUNT_LOG_ANALYTICS_WORKSPACE_ID" in capsys.readouterr().err
