"""Bodies of /os-aggregates and of its actions."""

from api_cell.api.schemas import types

# A zone name: the ``zone:host`` syntax of server create reserves the colon.
ZONE = {"type": ["string", "null"], "minLength": 1, "maxLength": 255, "pattern": r"^[^:]*$"}
_HOST = {"type": "string", "minLength": 1, "maxLength": 255}

CREATE = types.envelope("aggregate", {
    "type": "object",
    "properties": {"name": types.NAME, "availability_zone": ZONE},
    "required": ["name"],
    "additionalProperties": False,
})

UPDATE = types.envelope("aggregate", {
    "type": "object",
    "properties": {"name": types.NAME, "availability_zone": ZONE},
    "anyOf": [{"required": ["name"]}, {"required": ["availability_zone"]}],
    "additionalProperties": False,
})

_HOST_ACTION = {"type": "object", "properties": {"host": _HOST}, "required": ["host"],
                "additionalProperties": False}

# The actions of POST /os-aggregates/{id}/action, by name.
ACTIONS = {
    "add_host": types.envelope("add_host", _HOST_ACTION),
    "remove_host": types.envelope("remove_host", _HOST_ACTION),
    "set_metadata": types.envelope("set_metadata", {
        "type": "object",
        "properties": {"metadata": {
            "type": "object",
            "patternProperties": {r"^[a-zA-Z0-9\-_:. ]{1,255}$": {
                "type": ["string", "null"], "maxLength": 255}},
            "additionalProperties": False}},
        "required": ["metadata"],
        "additionalProperties": False}),
}
