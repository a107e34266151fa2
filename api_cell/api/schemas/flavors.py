"""Bodies of POST /flavors, PUT /flavors/{id} and the extra-specs sub-resource."""

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

# Printable text, as Nova's descriptions allow (2.55).
DESCRIPTION = {"type": ["string", "null"], "minLength": 0, "maxLength": 65535,
               "pattern": r"^[^\x00-\x1f\x7f]*$"}

UPDATE = types.envelope("flavor", {
    "type": "object", "properties": {"description": DESCRIPTION},
    "required": ["description"], "additionalProperties": False})

# Values may be numbers or booleans too; they are stored as their text.
_SPECS = {"type": "object", "patternProperties": {
    r"^[a-zA-Z0-9\-_:. ]{1,255}$": {"type": ["string", "number", "boolean"],
                                   "minLength": 0, "maxLength": 255}},
    "additionalProperties": False}
EXTRA_SPECS_CREATE = types.envelope("extra_specs", _SPECS)
EXTRA_SPEC_UPDATE = {**_SPECS, "minProperties": 1, "maxProperties": 1}



def _tenant_action(name: str) -> dict:
    return types.envelope(name, {
        "type": "object",
        "properties": {"tenant": {"type": "string", "minLength": 1, "maxLength": 255,
                                  "pattern": r"^[a-zA-Z0-9_-]*$"}},
        "required": ["tenant"], "additionalProperties": False})


# POST /flavors/{id}/action bodies, by action name.
ACCESS_ACTIONS = {name: _tenant_action(name)
                  for name in ("addTenantAccess", "removeTenantAccess")}


def create(version: tuple[int, int]) -> dict:
    """The create body at a microversion: ``description`` from 2.55."""
    if version < (2, 55):
        return CREATE
    flavor = dict(CREATE["properties"]["flavor"])
    flavor["properties"] = {**flavor["properties"], "description": DESCRIPTION}
    return {**CREATE, "properties": {"flavor": flavor}}
