"""Same KQL, same findings: the sample workspace through Log Analytics gives what the local source gives."""

from __future__ import annotations

import json
import os

from hunting.assemble import run_configured
from hunting.settings import Settings
from hunting.workspace import open_workspace

from .conftest import NOW, SAMPLE


def findings(environ: dict[str, str]) -> list[dict]:
    report = run_configured(Settings.from_env(environ), workspace=open_workspace(SAMPLE), now=NOW)
    assert report.failed == []
    return [f.as_json() for f in report.findings]


def test_log_analytics_and_local_sources_give_equal_findings(in_azure, fake):
    cloud = findings(dict(os.environ))
    local = findings({})

    assert cloud == local
    assert len(fake.queries) == 2  # the hunt, then one batched drill-down for all its hits
    expected = json.loads((SAMPLE / "expected.json").read_text(encoding="utf-8"))
    assert sorted((f["device_name"], f["remote_url"], f["verdict"]) for f in cloud) == \
        sorted((e["device_name"], e["remote_url"], e["verdict"]) for e in expected)
