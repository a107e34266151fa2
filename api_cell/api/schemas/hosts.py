"""Bodies of PUT /os-services/{action} (until 2.52) and PUT /os-services/{uuid} (2.53)."""

from __future__ import annotations

from typing import Any

# enable, disable, disable-log-reason and force-down name the service by host and binary.
HOST_BINARY = {"type": "object", "properties": {
    "host": {"type": "string", "minLength": 1, "maxLength": 255},
    "binary": {"type": "string", "minLength": 1, "maxLength": 255},
    "disabled_reason": {"type": "string", "minLength": 1, "maxLength": 255},
    "forced_down": {"type": "boolean"}},
    "required": ["host", "binary"], "additionalProperties": False}

# From 2.53 the path names the service by uuid and the body says what changes.
SERVICE_UPDATE = {"type": "object", "properties": {
    "status": {"type": "string", "enum": ["enabled", "disabled"]},
    "disabled_reason": {"type": "string", "minLength": 1, "maxLength": 255},
    "forced_down": {"type": "boolean"}}, "additionalProperties": False}


def service_update(version: tuple[int, int]) -> dict[str, Any]:
    """The body of PUT /os-services/{action or uuid} at a microversion."""
    return SERVICE_UPDATE if version >= (2, 53) else HOST_BINARY
