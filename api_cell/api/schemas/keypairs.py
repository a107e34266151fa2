"""Bodies of POST /os-keypairs, per microversion."""

from __future__ import annotations

from typing import Any

from api_cell.api.schemas import types

# Names of 2.1 to 2.91: letters, digits, '.', ' ', '_' and '-', no blank at either end.
NAME = {"type": "string", "minLength": 1, "maxLength": 255,
        "pattern": r"^(?! )[a-zA-Z0-9. _-]+(?<! )$"}
# From 2.92 '@' is allowed too.
NAME_2_92 = {**NAME, "pattern": r"^(?! )[a-zA-Z0-9@. _-]+(?<! )$"}


def create(key_type: bool, user_id: bool, import_only: bool = False) -> dict[str, Any]:
    """The create body: ``type`` from 2.2, ``user_id`` from 2.10; from 2.92
    ``public_key`` is required (no generated keys) and names may hold '@'."""
    properties: dict[str, Any] = {"name": NAME_2_92 if import_only else NAME,
                                  "public_key": {"type": "string", "maxLength": 65535}}
    if key_type:
        properties["type"] = {"type": "string", "enum": ["ssh", "x509"]}
    if user_id:
        properties["user_id"] = {"type": "string", "minLength": 1, "maxLength": 255}
    required = ["name", "public_key"] if import_only else ["name"]
    return types.envelope("keypair", {"type": "object", "properties": properties,
                                      "required": required, "additionalProperties": False})
