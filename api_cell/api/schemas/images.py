"""Body of POST /images (Cellar's own registry; Nova proxies Glance instead)."""

from api_cell.api.schemas import types

INTEGER_FIELDS = ("minDisk", "minRam")

CREATE = types.envelope("image", {
    "type": "object",
    "properties": {
        "id": types.UUID,
        "name": {"type": ["string", "null"], "maxLength": 255},
        "minDisk": types.integer(0),
        "minRam": types.integer(0),
        "metadata": types.METADATA,
    },
    "additionalProperties": False,
})
