"""Body of POST /flavors."""

from api_cell.api.schemas import types

INTEGER_FIELDS = ("ram", "vcpus", "disk", "OS-FLV-EXT-DATA:ephemeral", "swap")

CREATE = types.envelope("flavor", {
    "type": "object",
    "properties": {
        "name": {**types.NAME, "pattern": r"^(?!\s)[\s\S]*(?<!\s)$"},
        "id": {"type": ["string", "null"], "minLength": 1, "maxLength": 255,
               "pattern": r"^(?! )[a-zA-Z0-9. _-]+(?<! )$"},
        "ram": types.integer(1),
        "vcpus": types.integer(1),
        "disk": types.integer(0),
        "OS-FLV-EXT-DATA:ephemeral": types.integer(0),
        "swap": types.integer(0),
        "rxtx_factor": {"type": "number", "exclusiveMinimum": True, "minimum": 0,
                        "maximum": 3.40282e38},
        "os-flavor-access:is_public": {"type": "boolean"},
    },
    "required": ["name", "ram", "vcpus", "disk"],
    "additionalProperties": False,
})
