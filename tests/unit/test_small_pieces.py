"""Device-name matching, safe rendering, settings and the plugin registries."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import enrichment
import hunting.sources
import responders
from hunting.devices import DeviceNameIndex, names_match
from hunting.errors import SettingsError
from hunting.registry import load_plugin
from hunting.settings import SETTINGS, Settings
from responders.text import TRUNCATION_MARK, safe_text


@pytest.mark.parametrize("a, b, same", [
    ("WS-0142", "ws-0142.contoso.com", True),
    ("ws-0142.contoso.com", "WS-0142.CONTOSO.COM.", True),
    ("WS-0142", "ws-0142", True),
    ("ws-0142.contoso.com", "ws-0142.fabrikam.com", False),
    ("WS-0142", "ws-01421.contoso.com", False),
    ("", "", False),
])
def test_names_match_rule_2(a, b, same):
    assert names_match(a, b) is same and names_match(b, a) is same


def test_index_finds_exact_names_first():
    index = DeviceNameIndex([("WS-1", "short"), ("ws-1.contoso.com", "fqdn"), ("ws-1.fabrikam.com", "other")])
    assert index.find("ws-1.contoso.com") == ["fqdn", "short"]
    assert index.find("WS-1") == ["short", "fqdn", "other"]


def test_safe_text_neutralises_escapes_and_bidi_and_bounds_length():
    shown = safe_text("evil\x1b[31m\u202etxt.exe\nnext", 200)
    assert "\x1b" not in shown and "\u202e" not in shown and "\n" not in shown
    assert "\\u001b[31m" in shown and "\\u202e" in shown
    long = safe_text("a" * 1000, 50)
    assert len(long) == 50 and long.endswith(TRUNCATION_MARK)


def test_unknown_setting_with_our_prefix_is_an_error_with_a_hint():
    with pytest.raises(SettingsError, match="unknown setting HUNT_RESPONDER; did you mean HUNT_RESPONDERS"):
        Settings.from_env({"HUNT_RESPONDER": "teams", "PATH": "/bin"})


def test_defaults_and_lists():
    settings = Settings.from_env({"HUNT_OWNERSHIP_SOURCES": " inventory , , defender"})
    assert settings.get_list("HUNT_OWNERSHIP_SOURCES") == ["inventory", "defender"]
    assert settings.get("HUNT_QUERY_SOURCE") == "local"


def test_every_setting_has_help():
    assert all(s.help for s in SETTINGS)
    assert len({s.name for s in SETTINGS}) == len(SETTINGS)


REGISTRIES = [
    (hunting.sources.QUERY_SOURCES, "HUNT_QUERY_SOURCE"),
    (enrichment.OWNERSHIP_SOURCES, "HUNT_OWNERSHIP_SOURCES"),
    (enrichment.CHANGE_SOURCES, "HUNT_CHANGE_SOURCES"),
    (responders.RESPONDERS, "HUNT_RESPONDERS"),
]


@pytest.mark.parametrize("registry, setting", REGISTRIES)
def test_every_registry_entry_builds_from_context_under_its_own_name(registry, setting):
    for name in registry:
        cls = load_plugin(registry, name, setting=setting)
        assert cls.name == name
        assert callable(getattr(cls, "from_context", None))


def test_unknown_plugin_names_the_setting_and_the_known_ones():
    with pytest.raises(SettingsError, match=r"unknown value 'team' in HUNT_RESPONDERS; known: .*console"):
        load_plugin(responders.RESPONDERS, "team", setting="HUNT_RESPONDERS")


def _plugin_classes(package) -> set[str]:
    """Every class with a ``name`` and a ``from_context`` defined in the package's modules."""
    found = set()
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for attr in vars(module).values():
            if isinstance(attr, type) and attr.__module__ == module.__name__ and hasattr(attr, "from_context") \
                    and isinstance(getattr(attr, "name", None), str):
                found.add(f"{module.__name__}:{attr.__name__}")
    return found


@pytest.mark.parametrize("package, registries", [
    (hunting.sources, [hunting.sources.QUERY_SOURCES]),
    (enrichment, [enrichment.OWNERSHIP_SOURCES, enrichment.CHANGE_SOURCES]),
    (responders, [responders.RESPONDERS]),
])
def test_every_plugin_module_is_registered(package, registries):
    registered = {entry for registry in registries for entry in registry.values()}
    assert _plugin_classes(package) <= registered
