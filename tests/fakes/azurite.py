"""Reaching the Azurite Table service that ``make test`` starts (the real emulator, from npm).

``make test`` starts Azurite on a free port and exports ``AZURITE_TABLE_PORT``;
then tests that need it must run, so an unreachable Azurite is a failure. Run
outside make, they look on the default port 10002 and skip, saying why, when
nothing answers there.
"""

from __future__ import annotations

import os
import socket
import time

import pytest

#: Azurite's well-known development account (public, documented; not a secret).
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def _reachable(port: int, wait: float) -> bool:
    deadline = time.monotonic() + wait
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)


def azurite_connection_string() -> str:
    """The connection string of a running Azurite; fails under make, skips elsewhere, when there is none."""
    required = os.environ.get("AZURITE_TABLE_PORT")
    port = int(required or 10002)
    if not _reachable(port, wait=20.0 if required else 0.0):
        if required:
            pytest.fail(f"Azurite is not answering on 127.0.0.1:{port} although make test started it")
        pytest.skip("Azurite is not running on 127.0.0.1:10002 (make test starts it; "
                    "or run node_modules/.bin/azurite-table --inMemoryPersistence)")
    return (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
            f"TableEndpoint=http://127.0.0.1:{port}/{ACCOUNT};")
