"""Bodies of the server actions beyond start, stop and reboot, by microversion
(migrate's is ``servers.migrate``).

Each constant is the schema of the action's argument (the value under the action's
name); the functions build those that change with the microversion.
"""

from __future__ import annotations

from typing import Any

from api_cell.api.schemas import servers, types

# Clients send null; an empty object means the same.
NO_ARGUMENT = {"type": ["null", "object"], "maxProperties": 0}

PAUSE = NO_ARGUMENT
UNPAUSE = NO_ARGUMENT
SUSPEND = NO_ARGUMENT
RESUME = NO_ARGUMENT
UNLOCK = NO_ARGUMENT
CONFIRM_RESIZE = NO_ARGUMENT
REVERT_RESIZE = NO_ARGUMENT
SHELVE = NO_ARGUMENT

RESET_STATE = {
    "type": "object",
    "properties": {"state": {"type": "string", "enum": ["active", "error"]}},
    "required": ["state"],
    "additionalProperties": False,
}

CONSOLE_OUTPUT = {
    "type": ["object", "null"],
    "properties": {"length": {"type": ["integer", "string", "null"],
                              "pattern": r"^-?[0-9]+$", "minimum": -1,
                              "maximum": types.MAX_INT}},
    "additionalProperties": False,
}

CREATE_IMAGE = {
    "type": "object",
    "properties": {"name": types.NAME, "metadata": types.METADATA},
    "required": ["name"],
    "additionalProperties": False,
}

_DISK_CONFIG = {"type": "string", "enum": ["AUTO", "MANUAL"]}

RESIZE = {
    "type": "object",
    "properties": {"flavorRef": {"type": ["string", "integer"], "minLength": 1,
                                 "maxLength": 255},
                   "OS-DCF:diskConfig": _DISK_CONFIG},
    "required": ["flavorRef"],
    "additionalProperties": False,
}

_HOST = {"type": ["string", "null"], "minLength": 1, "maxLength": 255}

MIGRATE_LIVE = {
    "type": "object",
    "properties": {
        "block_migration": {"oneOf": [{"type": "boolean"},
                                      {"type": "string", "enum": ["auto"]}]},
        "host": _HOST,
        "disk_over_commit": {"type": "boolean"},
        "force": {"type": "boolean"},
    },
    "required": ["block_migration", "host"],
    "additionalProperties": False,
}

def evacuate(version: tuple[int, int]) -> dict[str, Any]:
    """The evacuate argument: ``onSharedStorage`` until 2.13, ``force`` from 2.29 to
    2.67."""
    properties: dict[str, Any] = {
        "host": {"type": "string", "minLength": 1, "maxLength": 255},
        "adminPass": {"type": "string", "maxLength": 255},
    }
    if version < (2, 14):
        properties["onSharedStorage"] = {"type": "boolean"}
    if (2, 29) <= version < (2, 68):
        properties["force"] = {"type": "boolean"}
    return {"type": ["object", "null"], "properties": properties,
            "additionalProperties": False}


_LOCKED_REASON = {"type": "string", "minLength": 1, "maxLength": 255}
_AVAILABILITY_ZONE = {"type": "string", "minLength": 1, "maxLength": 255}


def lock(version: tuple[int, int]) -> dict[str, Any]:
    """The lock argument: nothing, or from 2.73 an optional ``locked_reason``."""
    if version < (2, 73):
        return NO_ARGUMENT
    return {"type": ["object", "null"], "properties": {"locked_reason": _LOCKED_REASON},
            "additionalProperties": False}


def unshelve(version: tuple[int, int]) -> dict[str, Any]:
    """The unshelve argument: null, from 2.77 an ``availability_zone``, from 2.91 a
    ``host`` too and a null zone (unpin), each optional."""
    if version < (2, 77):
        return {"type": "null"}
    if version < (2, 91):
        return {"type": ["object", "null"],
                "properties": {"availability_zone": _AVAILABILITY_ZONE},
                "required": ["availability_zone"], "additionalProperties": False}
    return {"type": ["object", "null"],
            "properties": {"availability_zone": {**_AVAILABILITY_ZONE,
                                                 "type": ["string", "null"]},
                           "host": {"type": "string", "minLength": 1, "maxLength": 255}},
            "additionalProperties": False}


def rebuild(version: tuple[int, int]) -> dict[str, Any]:
    """The rebuild argument: ``description`` from 2.19, ``key_name`` from 2.54,
    ``user_data`` from 2.57 (which drops ``personality``), and
    ``trusted_image_certificates`` from 2.63, ``hostname`` from 2.90."""
    properties: dict[str, Any] = {
        "imageRef": {"type": "string", "minLength": 1, "maxLength": 1024},
        "name": types.NAME,
        "adminPass": {"type": "string", "maxLength": 255},
        "metadata": types.METADATA,
        "preserve_ephemeral": {"type": "boolean"},
        "OS-DCF:diskConfig": _DISK_CONFIG,
        "accessIPv4": servers.ACCESS_IPV4,
        "accessIPv6": servers.ACCESS_IPV6,
    }
    if version < (2, 57):
        properties["personality"] = {"type": "array", "items": {
            "type": "object", "properties": {"path": {"type": "string"},
                                             "contents": {"type": "string"}},
            "additionalProperties": False}}
    if version >= (2, 19):
        properties["description"] = {"type": ["string", "null"], "maxLength": 255,
                                     "pattern": r"^[^\x00-\x1f\x7f]*$"}
    if version >= (2, 54):
        properties["key_name"] = {"type": ["string", "null"], "minLength": 1,
                                  "maxLength": 255}
    if version >= (2, 57):
        properties["user_data"] = {"type": ["string", "null"], "maxLength": 65535}
    if version >= (2, 63):
        properties["trusted_image_certificates"] = servers.TRUSTED_CERTIFICATES
    if version >= (2, 90):
        properties["hostname"] = servers.hostname(version)
    return {"type": "object", "properties": properties, "required": ["imageRef"],
            "additionalProperties": False}
