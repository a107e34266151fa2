"""Building blocks the resource schemas share."""

from __future__ import annotations

from typing import Any

# The largest value a signed 32-bit column holds.
MAX_INT = 2**31 - 1


def integer(minimum: int = 0) -> dict[str, Any]:
    """An integer within the database's range."""
    return {"type": "integer", "minimum": minimum, "maximum": MAX_INT}


# A name with at least one non-blank character.
NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"\S"}

METADATA = {
    "type": "object",
    "patternProperties": {r"^[a-zA-Z0-9\-_:. ]{1,255}$": {"type": "string", "maxLength": 255}},
    "additionalProperties": False,
}

UUID = {"type": "string", "pattern": r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$"}


def envelope(key: str, inner: dict[str, Any]) -> dict[str, Any]:
    """A body ``{key: inner}`` and nothing else."""
    return {"type": "object", "properties": {key: inner}, "required": [key],
            "additionalProperties": False}
