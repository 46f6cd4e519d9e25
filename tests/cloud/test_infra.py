"""The Bicep in infra/: it parses, and it grants the app's identity only the roles the design needs.

No Bicep compiler can be installed from the registries this project uses (the
CLI ships as a NuGet package or a GitHub download), so these tests read the
files with pycep-parser, a Bicep grammar for Python: syntax, resources, the
roles and their conditions, and the app settings the app is deployed with.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from pycep import BicepParser

from hunting.settings import SETTINGS

from .conftest import ROOT

INFRA = ROOT / "infra"
ROLES = {
    "73c42c96-874c-492b-b04d-ab87d138a893": "Log Analytics Reader",
    "3e150937-b8fe-4cfb-8069-0eccf23b7ead": "Microsoft Sentinel Responder",
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "Storage Table Data Contributor",
    "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
}
HOST_SETTINGS = {"AzureWebJobsStorage__accountName", "APPLICATIONINSIGHTS_CONNECTION_STRING"}
SECRET_NAMES = {s.name for s in SETTINGS if s.secret}


@cache
def parsed(name: str) -> dict[str, Any]:
    return BicepParser(cache=False).parse(file_path=INFRA / name)


def role_assignments(name: str) -> dict[str, tuple[str, str | None]]:
    """Resource name -> (role, condition) for every role assignment in one file."""
    template = parsed(name)
    found = {}
    for resource_name, resource in template["resources"].items():
        if resource["type"] != "Microsoft.Authorization/roleAssignments":
            continue
        config = resource["config"]
        condition = config.get("condition") if "config" in config else None
        body = config["config"] if "config" in config else config
        role_variable = body["properties"]["roleDefinitionId"]["function"]["parameters"]["resource_name_1"]
        assert body["properties"]["principalType"] == "ServicePrincipal"
        found[resource_name] = (ROLES[template["variables"][role_variable]["value"]], condition)
    return found


@pytest.mark.parametrize("name", ["main.bicep", "modules/workspace-access.bicep"])
def test_every_bicep_file_parses(name):
    assert parsed(name)["resources"]


def test_the_identity_reads_the_workspace_and_responds_to_incidents_only_when_enabled():
    assert role_assignments("modules/workspace-access.bicep") == {
        "reader": ("Log Analytics Reader", None),
        "responder": ("Microsoft Sentinel Responder", "enableIncidents"),
    }
    assert parsed("main.bicep")["parameters"]["enableIncidents"]["default"] is False


def test_the_app_gets_data_roles_on_its_own_storage_and_vault_and_nothing_broader():
    assert role_assignments("main.bicep") == {
        "blobOwner": ("Storage Blob Data Owner", None),
        "tableContributor": ("Storage Table Data Contributor", None),
        "secretsUser": ("Key Vault Secrets User", None),
    }


def test_the_function_app_is_linux_python_311_with_a_system_assigned_identity():
    app = parsed("main.bicep")["resources"]["app"]["config"]

    assert app["kind"] == "functionapp,linux"
    assert app["identity"] == {"type": "SystemAssigned"}
    assert app["properties"]["httpsOnly"] is True
    assert app["properties"]["functionAppConfig"]["runtime"] == {"name": "python", "version": "3.11"}


def test_app_settings_are_known_settings_and_the_schedule_default_matches():
    template = parsed("main.bicep")
    base, extra, secrets = template["resources"]["appSettings"]["config"]["properties"]["function"]["parameters"].values()
    known = {s.name: s for s in SETTINGS}

    assert set(base) - HOST_SETTINGS <= set(known)
    assert base["HUNT_SCHEDULE"] == "schedule"
    assert template["parameters"]["schedule"]["default"] == known["HUNT_SCHEDULE"].default
    assert base["HUNT_QUERY_SOURCE"] == "loganalytics"
    assert (extra, secrets) == ("settings", "secretReferences")


def test_secret_settings_become_key_vault_references():
    reference = parsed("main.bicep")["variables"]["secretReferences"]["value"]["function"]

    assert reference["type"] == "toObject" and reference["parameters"]["arg_1"] == "secretSettings"
    assert reference["parameters"]["arg_3"]["detail"]["expression"].startswith("@Microsoft.KeyVault(VaultName=${vault.name};")


def test_the_example_parameters_put_secrets_in_key_vault_and_the_rest_in_settings():
    parameters = json.loads((INFRA / "main.parameters.example.json").read_text(encoding="utf-8"))["parameters"]
    known = {s.name for s in SETTINGS}

    assert set(parameters) <= set(parsed("main.bicep")["parameters"])
    assert set(parameters["settings"]["value"]) <= known - SECRET_NAMES
    assert set(parameters["secretSettings"]["value"]) <= SECRET_NAMES
