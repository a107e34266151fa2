"""Bodies of POST /os-keypairs, per microversion."""

from __future__ import annotations

from typing import Any

from api_cell.api.schemas import types

# Names of 2.1 to 2.91: letters, digits, '.', ' ', '_' and '-', no blank at either end.
NAME = {"type": "string", "minLength": 1, "maxLength": 255,
        "pattern": r"^(?! )[a-zA-Z0-9. _-]+(?<! )$"}


def create(key_type: bool, user_id: bool) -> dict[str, Any]:
    """The create body: ``type`` from 2.2, ``user_id`` from 2.10."""
    properties: dict[str, Any] = {"name": NAME,
                                  "public_key": {"type": "string", "maxLength": 65535}}
    if key_type:
        properties["type"] = {"type": "string", "enum": ["ssh", "x509"]}
    if user_id:
        properties["user_id"] = {"type": "string", "minLength": 1, "maxLength": 255}
    return types.envelope("keypair", {"type": "object", "properties": properties,
                                      "required": ["name"], "additionalProperties": False})
