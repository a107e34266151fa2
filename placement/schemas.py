"""JSON schemas of request bodies, per microversion where they differ."""

from __future__ import annotations

import copy
import functools

from placement.microversion import Version

MAX_INT = 2147483647
UUID = {"type": "string", "format": "uuid",
        "pattern": r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                   r"[0-9a-fA-F]{12}$"}
CLASS_NAME = {"type": "string", "pattern": "^[A-Z0-9_]+$", "maxLength": 255}
CUSTOM_NAME = {"type": "string", "pattern": "^CUSTOM_[A-Z0-9_]+$", "maxLength": 255}
GENERATION = {"type": "integer", "minimum": 0, "maximum": MAX_INT}
NAME = {"type": "string", "minLength": 1, "maxLength": 200}
PROJECT_USER = {"type": "string", "minLength": 1, "maxLength": 255}
CONSUMER_TYPE = {"type": "string", "pattern": "^[A-Z0-9_]+$", "minLength": 1,
                 "maxLength": 255}


def provider(version: Version, update: bool = False) -> dict:
    """POST or PUT /resource_providers[/{uuid}]."""
    properties: dict = {"name": NAME}
    if not update:
        properties["uuid"] = UUID
    if version >= (1, 14):
        properties["parent_provider_uuid"] = {"anyOf": [UUID, {"type": "null"}]}
    return {"type": "object", "properties": properties, "required": ["name"],
            "additionalProperties": False}


_INVENTORY_FIELDS = {
    "total": {"type": "integer", "minimum": 1, "maximum": MAX_INT},
    "reserved": {"type": "integer", "minimum": 0, "maximum": MAX_INT},
    "min_unit": {"type": "integer", "minimum": 1, "maximum": MAX_INT},
    "max_unit": {"type": "integer", "minimum": 1, "maximum": MAX_INT},
    "step_size": {"type": "integer", "minimum": 1, "maximum": MAX_INT},
    "allocation_ratio": {"type": "number", "exclusiveMinimum": 0, "maximum": 3.40282e+38},
}
INVENTORY = {"type": "object", "properties": _INVENTORY_FIELDS, "required": ["total"],
             "additionalProperties": False}
INVENTORY_ONE = {"type": "object",
                 "properties": {**_INVENTORY_FIELDS,
                                "resource_provider_generation": GENERATION},
                 "required": ["total", "resource_provider_generation"],
                 "additionalProperties": False}
INVENTORIES = {
    "type": "object",
    "properties": {
        "resource_provider_generation": GENERATION,
        "inventories": {"type": "object",
                        "patternProperties": {"^[A-Z0-9_]+$": INVENTORY},
                        "additionalProperties": False},
    },
    "required": ["resource_provider_generation", "inventories"],
    "additionalProperties": False,
}

RESOURCE_CLASS = {"type": "object", "properties": {"name": CUSTOM_NAME},
                  "required": ["name"], "additionalProperties": False}

PROVIDER_TRAITS = {
    "type": "object",
    "properties": {"traits": {"type": "array", "items": CLASS_NAME},
                   "resource_provider_generation": GENERATION},
    "required": ["traits", "resource_provider_generation"],
    "additionalProperties": False,
}


def aggregates(version: Version) -> dict:
    """PUT /resource_providers/{uuid}/aggregates: a list, or from 1.19 an object."""
    uuids = {"type": "array", "items": UUID, "uniqueItems": True}
    if version < (1, 19):
        return uuids
    return {"type": "object",
            "properties": {"aggregates": uuids, "resource_provider_generation": GENERATION},
            "required": ["aggregates", "resource_provider_generation"],
            "additionalProperties": False}


_RESOURCES = {"type": "object", "minProperties": 1,
              "patternProperties": {"^[A-Z0-9_]+$": {"type": "integer", "minimum": 1,
                                                     "maximum": MAX_INT}},
              "additionalProperties": False}


@functools.lru_cache(maxsize=64)
def allocations(version: Version) -> dict:
    """PUT /allocations/{consumer_uuid} at ``version`` (one shared object per version:
    read it, never change it)."""
    if version < (1, 12):
        listed = {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "properties": {"resource_provider": {
                "type": "object", "properties": {"uuid": UUID}, "required": ["uuid"],
                "additionalProperties": False}, "resources": _RESOURCES},
            "required": ["resource_provider", "resources"], "additionalProperties": False}}
        schema = {"type": "object", "properties": {"allocations": listed},
                  "required": ["allocations"], "additionalProperties": False}
        if version >= (1, 8):
            schema["properties"].update(project_id=PROJECT_USER, user_id=PROJECT_USER)
            schema["required"] += ["project_id", "user_id"]
        return schema
    by_provider = {"type": "object",
                   "minProperties": 0 if version >= (1, 28) else 1,
                   "patternProperties": {UUID["pattern"]: {
                       "type": "object",
                       "properties": {"resources": _RESOURCES,
                                      "generation": {}},
                       "required": ["resources"], "additionalProperties": False}},
                   "additionalProperties": False}
    schema = {"type": "object",
              "properties": {"allocations": by_provider, "project_id": PROJECT_USER,
                             "user_id": PROJECT_USER},
              "required": ["allocations", "project_id", "user_id"],
              "additionalProperties": False}
    if version >= (1, 28):
        schema["properties"]["consumer_generation"] = {"anyOf": [GENERATION,
                                                                 {"type": "null"}]}
        schema["required"].append("consumer_generation")
    if version >= (1, 34):
        schema["properties"]["mappings"] = {
            "type": "object", "additionalProperties": {"type": "array", "items": UUID}}
    if version >= (1, 38):
        schema["properties"]["consumer_type"] = CONSUMER_TYPE
        schema["required"].append("consumer_type")
    return schema


@functools.lru_cache(maxsize=64)
def post_allocations(version: Version, min_consumers: int = 1) -> dict:
    """POST /allocations: {consumer uuid: the PUT body} (shared, like ``allocations``)."""
    one = copy.deepcopy(allocations(version))
    one["properties"]["allocations"]["minProperties"] = 0
    return {"type": "object", "minProperties": min_consumers,
            "patternProperties": {UUID["pattern"]: one}, "additionalProperties": False}


def reshaper(version: Version) -> dict:
    """POST /reshaper."""
    inventories = {"type": "object", "patternProperties": {UUID["pattern"]: INVENTORIES},
                   "additionalProperties": False}
    return {"type": "object",
            "properties": {"inventories": inventories,
                           "allocations": post_allocations(version, 0)},
            "required": ["inventories", "allocations"], "additionalProperties": False}
