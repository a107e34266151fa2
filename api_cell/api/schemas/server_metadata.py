"""Bodies of the server metadata and tags sub-resources."""

from api_cell.api.schemas import types

METADATA = types.envelope("metadata", types.METADATA)
META_ITEM = types.envelope("meta", {**types.METADATA, "minProperties": 1,
                                    "maxProperties": 1})
TAG = {"type": "string", "minLength": 1, "maxLength": 60, "pattern": r"^[^,/]*$"}
TAGS = {"type": "object", "properties": {"tags": {"type": "array", "items": TAG,
                                                  "maxItems": 50}},
        "required": ["tags"], "additionalProperties": False}
