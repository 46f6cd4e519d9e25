"""Test credentials for the real Azure SDK clients: no token endpoint is ever reached.

``StaticTokenCredential`` hands out one fixed bearer token and records the
scopes it was asked for; ``FailingCredential`` fails like an identity with no
access does, ``failures`` times and then succeeds (0 = never recovers).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError


class StaticTokenCredential:
    """A ``TokenCredential`` whose ``get_token`` always returns the same far-future token."""

    def __init__(self, token: str = "test-token"):
        self.token = token
        self.scopes: list[tuple[str, ...]] = []
        self._lock = threading.Lock()

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        with self._lock:
            self.scopes.append(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)


class FailingCredential(StaticTokenCredential):
    """Raises ``ClientAuthenticationError`` for the first ``failures`` calls (0: every call)."""

    MESSAGE = "ManagedIdentityCredential authentication unavailable. No identity has been assigned to this resource."

    def __init__(self, failures: int = 0, token: str = "test-token"):
        super().__init__(token)
        self.failures = failures
        self.calls = 0

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        with self._lock:
            self.calls += 1
            failing = self.failures == 0 or self.calls <= self.failures
        if failing:
            raise ClientAuthenticationError(message=self.MESSAGE)
        return super().get_token(*scopes, **kwargs)
