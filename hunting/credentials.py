"""The Azure credential every cloud client shares: managed identity in Azure, your login locally.

Built lazily (azure-identity is heavy) and once per run; tests pass their own
``TokenCredential`` instead, so no client ever reaches a real token endpoint.
"""

from __future__ import annotations

from typing import Any


def default_credential() -> Any:
    """``DefaultAzureCredential``: managed identity in the Function app, az/VS Code login on a laptop."""
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential(exclude_interactive_browser_credential=True)
