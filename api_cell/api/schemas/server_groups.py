"""Body of POST /os-server-groups: ``policies`` until 2.63, ``policy``/``rules`` from 2.64."""

from __future__ import annotations

from typing import Any

from api_cell.api.schemas import types

HARD = ["affinity", "anti-affinity"]
SOFT = ["soft-affinity", "soft-anti-affinity"]
NAME = {"type": "string", "minLength": 1, "maxLength": 255,
        "pattern": r"^(?! )[\s\S]*(?<! )$"}


def create(soft: bool, policy_and_rules: bool) -> dict[str, Any]:
    allowed = HARD + SOFT if soft else HARD
    if policy_and_rules:
        inner = {"type": "object", "properties": {
            "name": NAME,
            "policy": {"type": "string", "enum": allowed},
            "rules": {"type": "object", "properties": {
                "max_server_per_host": types.integer(1)},
                "additionalProperties": False}},
            "required": ["name", "policy"], "additionalProperties": False}
    else:
        inner = {"type": "object", "properties": {
            "name": NAME,
            "policies": {"type": "array", "items": {"type": "string", "enum": allowed},
                         "minItems": 1, "maxItems": 1, "uniqueItems": True}},
            "required": ["name", "policies"], "additionalProperties": False}
    return types.envelope("server_group", inner)
