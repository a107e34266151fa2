"""Body of POST /identity/v3/auth/tokens (the noauth2 identity stub), Keystone's shape."""

from __future__ import annotations

from typing import Any

from api_cell.api.schemas import types

PASSWORD = "password"
TOKEN = "token"

# A user or project name goes into a noauth2 token (``user:project``) and back out in
# the X-Subject-Token header: printable ASCII without blanks or ':' keeps both intact.
NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[!-9;-~]+$"}

# Accepted so Keystone clients may send it; a noauth2 cloud has the one domain.
DOMAIN = {"type": "object", "properties": {"id": {"type": "string", "maxLength": 255},
                                           "name": {"type": "string", "maxLength": 255}}}

_ID_OR_NAME = [{"required": ["id"]}, {"required": ["name"]}]

USER = {"type": "object",
        "properties": {"id": NAME, "name": NAME, "domain": DOMAIN,
                       "password": {"type": "string", "maxLength": 4096}},
        "anyOf": _ID_OR_NAME}

IDENTITY = {
    "type": "object",
    "properties": {
        "methods": {"type": "array", "minItems": 1, "uniqueItems": True,
                    "items": {"type": "string", "enum": [PASSWORD, TOKEN]}},
        PASSWORD: {"type": "object", "properties": {"user": USER}, "required": ["user"]},
        TOKEN: {"type": "object",
                "properties": {"id": {"type": "string", "minLength": 1, "maxLength": 1024}},
                "required": ["id"]},
    },
    "required": ["methods"],
}

PROJECT = {"type": "object",
           "properties": {"id": NAME, "name": NAME, "domain": DOMAIN},
           "anyOf": _ID_OR_NAME}

# Only a project scope: both APIs keep their resources per project.
SCOPE = {"type": "object", "properties": {"project": PROJECT}, "required": ["project"],
         "additionalProperties": False}

AUTH: dict[str, Any] = types.envelope("auth", {
    "type": "object", "properties": {"identity": IDENTITY, "scope": SCOPE},
    "required": ["identity"]})
