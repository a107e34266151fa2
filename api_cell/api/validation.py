"""Request bodies: parsed as JSON and checked against JSON Schemas, Nova's way.

Nova accepts integers written as strings (``"ram": "512"``) for many fields;
``coerce_ints`` turns those into integers first so each schema only speaks of
integers and its bounds apply to both spellings.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable
from typing import Any

import jsonschema

from api_cell.api import errors

_DIGITS = re.compile(r"^\s*-?\d+\s*$")


def _address(kind: type[ipaddress.IPv4Address] | type[ipaddress.IPv6Address]):
    def check(value: object) -> bool:
        # Nova clears an access address with an empty string.
        if not isinstance(value, str) or value == "":
            return True
        try:
            kind(value)
        except ValueError:
            return False
        return True
    return check


# The formats schemas may name: a server's access addresses.
_FORMATS = jsonschema.FormatChecker(formats=())
_FORMATS.checks("ipv4")(_address(ipaddress.IPv4Address))
_FORMATS.checks("ipv6")(_address(ipaddress.IPv6Address))


def load_json(raw: bytes) -> Any:
    """The decoded body; BadRequest if it is empty or not JSON."""
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise errors.BadRequest("Malformed request body") from error


def coerce_ints(fields: dict[str, Any], names: Iterable[str]) -> None:
    """Replace integer-looking strings of ``names`` in ``fields`` by integers, in place."""
    for name in names:
        value = fields.get(name)
        if isinstance(value, str) and _DIGITS.match(value):
            fields[name] = int(value)


def validate(schema: dict[str, Any], body: Any) -> None:
    """BadRequest naming the first offending field if ``body`` breaks ``schema``."""
    validator = jsonschema.Draft4Validator(schema, format_checker=_FORMATS)
    error = jsonschema.exceptions.best_match(validator.iter_errors(body))
    if error is None:
        return
    field = "/".join(str(part) for part in error.absolute_path) or "request body"
    raise errors.BadRequest(f"Invalid input for field/attribute {field}. "
                            f"Value: {_short(error.instance)}. {error.message}")


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "..."
