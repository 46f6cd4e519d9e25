"""Device-name matching (triage rule 2), shared by triage and every ownership source.

Defender names devices by FQDN, CMDBs and Intune often by short name. A short
name matches an FQDN with the same host label (``WS-0142`` = ``ws-0142.contoso.com``);
two FQDNs must be equal, so ``ws-0142.fabrikam.com`` is another machine.
"""

from __future__ import annotations

from typing import Generic, Iterable, TypeVar

T = TypeVar("T")


def normalize(name: str) -> str:
    return name.strip().rstrip(".").lower()


def host_label(name: str) -> str:
    return normalize(name).split(".", 1)[0]


def is_fqdn(name: str) -> bool:
    return "." in normalize(name)


def names_match(a: str, b: str) -> bool:
    """Whether two device names denote the same machine under rule 2."""
    a, b = normalize(a), normalize(b)
    if not a or not b:
        return False
    if a == b:
        return True
    if is_fqdn(a) and is_fqdn(b):
        return False
    return host_label(a) == host_label(b)


class DeviceNameIndex(Generic[T]):
    """Values keyed by device name, found by any name that matches under rule 2, in O(1)."""

    def __init__(self, items: Iterable[tuple[str, T]] = ()):
        self._by_label: dict[str, list[tuple[str, T]]] = {}
        for name, value in items:
            self.add(name, value)

    def add(self, name: str, value: T) -> None:
        if normalize(name):
            self._by_label.setdefault(host_label(name), []).append((normalize(name), value))

    def find(self, name: str) -> list[T]:
        """Every value whose name matches ``name``, exact-name matches first."""
        candidates = self._by_label.get(host_label(name), []) if normalize(name) else []
        exact = [v for n, v in candidates if n == normalize(name)]
        other = [v for n, v in candidates if n != normalize(name) and names_match(n, name)]
        return exact + other
