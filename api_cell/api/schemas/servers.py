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
    },
    "required": ["name", "flavorRef", "imageRef"],
    "additionalProperties": False,
})

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
