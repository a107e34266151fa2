"""PATCH bodies of the image API (``application/openstack-images-v2.1-json-patch``).

A JSON Patch restricted to top-level members: ``add``, ``replace`` and ``remove`` of
a core attribute or an extra property. As in Glance, ``add`` of a property that
exists and ``replace``/``remove`` of one that does not are conflicts, and core
attributes cannot be removed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from typing import Any

from api_cell.image import errors

MEDIA_TYPES = ("application/openstack-images-v2.1-json-patch",
               "application/openstack-images-v2.0-json-patch")
OPERATIONS = ("add", "replace", "remove")
_MISSING = object()


@dataclasses.dataclass(frozen=True)
class Operation:
    """One change: ``op`` on the top-level member ``name``."""

    op: str
    name: str
    value: Any = None


def _member(path: Any) -> str:
    """The member a JSON pointer names; BadRequest unless it is one top-level member."""
    if not isinstance(path, str) or not path.startswith("/") or len(path) < 2:
        raise errors.BadRequest(f"Invalid JSON pointer for this resource: {path!r}")
    raw = path[1:]
    if "/" in raw:
        raise errors.BadRequest(f"Nested paths are not supported: {path!r}")
    # RFC 6901 escapes, ~1 before ~0 so "~01" stays "~1".
    return raw.replace("~1", "/").replace("~0", "~")


def parse(body: Any) -> list[Operation]:
    """The operations of a PATCH body; BadRequest if it is not a valid patch."""
    if not isinstance(body, list):
        raise errors.BadRequest("Request body must be a JSON array of operation objects.")
    operations = []
    for item in body:
        if not isinstance(item, dict) or item.get("op") not in OPERATIONS:
            raise errors.BadRequest("Operations must be JSON objects with an 'op' of "
                                    f"{', '.join(OPERATIONS)}.")
        if item["op"] != "remove" and "value" not in item:
            raise errors.BadRequest(f"Operation '{item['op']}' needs a 'value'.")
        operations.append(Operation(item["op"], _member(item.get("path")),
                                    item.get("value")))
    return operations


def apply(document: dict[str, Any], operations: list[Operation],
          core: Collection[str]) -> dict[str, Any]:
    """``document`` with ``operations`` applied (a new dict; the input is unchanged).

    ``core`` names the attributes that always exist; every other member is an extra
    property.
    """
    result = dict(document)
    for operation in operations:
        name, is_core = operation.name, operation.name in core
        present = result.get(name, _MISSING) is not _MISSING
        if operation.op == "remove":
            if is_core:
                raise errors.Forbidden(f"Property '{name}' cannot be removed.")
            if not present:
                raise errors.Conflict(f"Property {name} does not exist.")
            del result[name]
        elif operation.op == "add" and present and not is_core:
            raise errors.Conflict(f"Property {name} already present.")
        elif operation.op == "replace" and not present and not is_core:
            raise errors.Conflict(f"Property {name} does not exist.")
        else:
            result[name] = operation.value
    return result
