"""The JSON Schemas of images: served at /v2/schemas/* and used to check bodies.

An image is one flat JSON object: the core attributes below, plus any number of
extra properties whose values are strings (as in Glance). Attributes marked
``readOnly`` are the service's to set; a client that sends one is refused (403).
"""

from __future__ import annotations

from typing import Any

import jsonschema

from api_cell.image import errors

UUID_PATTERN = "^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"
STATUSES = ["queued", "saving", "active", "killed", "deleted", "deactivated"]
VISIBILITIES = ["public", "community", "shared", "private"]
DISK_FORMATS = ["ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso",
                "ploop"]
CONTAINER_FORMATS = ["ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"]
MAX_INT = 2 ** 31 - 1
MAX_TAGS = 128


def _read_only(kind: Any, description: str) -> dict[str, Any]:
    return {"type": kind, "readOnly": True, "description": description}


IMAGE = {
    "name": "image",
    "type": "object",
    "properties": {
        "id": {"type": "string", "pattern": UUID_PATTERN,
               "description": "An identifier for the image"},
        "name": {"type": ["null", "string"], "maxLength": 255,
                 "description": "Descriptive name for the image"},
        "status": {**_read_only("string", "Status of the image"), "enum": STATUSES},
        "visibility": {"type": "string", "enum": VISIBILITIES,
                       "description": "Scope of image accessibility"},
        "protected": {"type": "boolean",
                      "description": "If true, the image cannot be deleted."},
        "os_hidden": {"type": "boolean",
                      "description": "If true, the image is left out of default lists."},
        "checksum": {**_read_only(["null", "string"], "MD5 digest of the image data"),
                     "maxLength": 32},
        "os_hash_algo": {**_read_only(["null", "string"], "Algorithm of os_hash_value"),
                         "maxLength": 64},
        "os_hash_value": {**_read_only(["null", "string"], "Digest of the image data"),
                          "maxLength": 128},
        "owner": {"type": ["null", "string"], "maxLength": 255,
                  "description": "Project that owns the image"},
        "size": _read_only(["null", "integer"], "Size of the image data in bytes"),
        "virtual_size": _read_only(["null", "integer"], "Virtual size of the image"),
        "min_ram": {"type": "integer", "minimum": 0, "maximum": MAX_INT,
                    "description": "RAM (MiB) needed to boot the image"},
        "min_disk": {"type": "integer", "minimum": 0, "maximum": MAX_INT,
                     "description": "Disk (GiB) needed to boot the image"},
        "disk_format": {"type": ["null", "string"], "enum": [None, *DISK_FORMATS],
                        "description": "Format of the disk"},
        "container_format": {"type": ["null", "string"],
                             "enum": [None, *CONTAINER_FORMATS],
                             "description": "Format of the container"},
        "tags": {"type": "array", "maxItems": MAX_TAGS,
                 "items": {"type": "string", "minLength": 1, "maxLength": 255},
                 "description": "List of strings related to the image"},
        "created_at": _read_only("string", "Date and time of image registration"),
        "updated_at": _read_only("string", "Date and time of the last image change"),
        "self": _read_only("string", "URL of the image"),
        "file": _read_only("string", "URL of the image data"),
        "schema": _read_only("string", "URL of this schema"),
        "direct_url": _read_only("string", "Location of the data (never shown)"),
        "locations": _read_only("array", "Locations of the data (never shown)"),
    },
    "propertyNames": {"minLength": 1, "maxLength": 255},
    "additionalProperties": {"type": "string", "maxLength": 65535},
    "links": [
        {"rel": "self", "href": "{self}"},
        {"rel": "enclosure", "href": "{file}"},
        {"rel": "describedby", "href": "{schema}"},
    ],
}

IMAGES = {
    "name": "images",
    "properties": {
        "images": {"type": "array", "items": IMAGE},
        "schema": {"type": "string"},
        "first": {"type": "string"},
        "next": {"type": "string"},
    },
    "links": [
        {"rel": "first", "href": "{first}"},
        {"rel": "next", "href": "{next}"},
        {"rel": "describedby", "href": "{schema}"},
    ],
}

# The id is chosen at creation only, so it is read-only for a PATCH.
READ_ONLY = frozenset(name for name, spec in IMAGE["properties"].items()
                      if spec.get("readOnly")) | {"id"}
CORE = frozenset(IMAGE["properties"])

_VALIDATOR = jsonschema.Draft7Validator(IMAGE)


def check_image(document: dict[str, Any]) -> None:
    """BadRequest naming the first way ``document`` breaks the image schema."""
    error = jsonschema.exceptions.best_match(_VALIDATOR.iter_errors(document))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "image"
        raise errors.BadRequest(f"Invalid value for {where}: {error.message}")


def check_not_read_only(names: list[str]) -> None:
    """Forbidden if a client tries to set any of the service's own attributes."""
    for name in names:
        if name in READ_ONLY:
            raise errors.Forbidden(f"Attribute '{name}' is read-only.")
