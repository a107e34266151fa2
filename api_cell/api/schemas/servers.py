"""Bodies of POST /servers and POST /servers/{id}/action."""

from api_cell.api.schemas import types

INTEGER_FIELDS = ("min_count", "max_count")

CREATE = types.envelope("server", {
    "type": "object",
    "properties": {
        "name": types.NAME,
        "flavorRef": {"type": ["string", "integer"], "minLength": 1, "maxLength": 1024},
        "imageRef": {"type": "string", "minLength": 1, "maxLength": 1024},
        "metadata": types.METADATA,
        "availability_zone": {"type": "string", "minLength": 1, "maxLength": 255},
        "min_count": types.integer(1),
        "max_count": types.integer(1),
        # Accepted for client compatibility; the skeleton attaches no networks and
        # puts every server in the default security group.
        "networks": {"oneOf": [{"type": "string", "enum": ["auto", "none"]},
                               {"type": "array", "items": {"type": "object"}}]},
        "security_groups": {"type": "array", "items": {
            "type": "object", "properties": {"name": {"type": "string"}}}},
        "OS-DCF:diskConfig": {"type": "string", "enum": ["AUTO", "MANUAL"]},
        "key_name": {"type": "string", "minLength": 1, "maxLength": 255},
    },
    "required": ["name", "flavorRef", "imageRef"],
    "additionalProperties": False,
})

# Scheduler hints sit beside "server" at the top of the body, under either name.
HINTS = {"type": "object", "properties": {
    "group": types.UUID,
    "same_host": {"oneOf": [types.UUID, {"type": "array", "items": types.UUID}]},
    "different_host": {"oneOf": [types.UUID, {"type": "array", "items": types.UUID}]},
}, "additionalProperties": True}
CREATE = {**CREATE, "properties": {**CREATE["properties"], "os:scheduler_hints": HINTS,
                                   "OS-SCH-HNT:scheduler_hints": HINTS}}

# Clients send null; an empty object means the same.
START = {"type": ["null", "object"], "maxProperties": 0}
STOP = START
REBOOT = {
    "type": "object",
    "properties": {"type": {"type": "string",
                            "enum": ["HARD", "Hard", "hard", "SOFT", "Soft", "soft"]}},
    "required": ["type"],
    "additionalProperties": False,
}


def create(version: tuple[int, int]) -> dict:
    """The create body at a microversion: ``description`` from 2.19, ``networks``
    required and strictly checked from 2.37 (``tag`` on them 2.32-2.36 and from 2.42).
    """
    server = dict(CREATE["properties"]["server"])
    properties = dict(server["properties"])
    if version >= (2, 19):
        properties["description"] = {"type": ["string", "null"], "maxLength": 255,
                                     "pattern": r"^[^\x00-\x1f\x7f]*$"}
    if version >= (2, 37):
        item = {"type": "object", "properties": {
            "uuid": types.UUID, "port": {"oneOf": [types.UUID, {"type": "null"}]},
            "fixed_ip": {"type": "string", "minLength": 1, "maxLength": 64}},
            "additionalProperties": False}
        if version >= (2, 42):
            item["properties"]["tag"] = {"type": "string", "minLength": 1,
                                         "maxLength": 60, "pattern": r"^[^,/]*$"}
        properties["networks"] = {"oneOf": [
            {"type": "string", "enum": ["auto", "none"]},
            {"type": "array", "items": item}]}
        server["required"] = [*server["required"], "networks"]
    server["properties"] = properties
    return {**CREATE, "properties": {**CREATE["properties"], "server": server}}
