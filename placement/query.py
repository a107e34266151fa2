"""Parsing of query-string values: pure functions, raising BadRequest on bad input."""

from __future__ import annotations

import re
import uuid as uuidlib

from placement import errors
from placement.microversion import Version
from placement.objects.filters import AggregateFilter, TraitFilter

_CLASS_RE = re.compile(r"^[A-Z0-9_]+$")
_NUMBERED_SUFFIX = re.compile(r"^[1-9][0-9]*$")
_STRING_SUFFIX = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
MAX_INT = 2147483647


def is_uuid(value: str) -> bool:
    """True for a canonical or hex-only UUID."""
    try:
        uuidlib.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


def parse_resources(text: str) -> dict[str, int]:
    """``VCPU:1,MEMORY_MB:512`` -> {"VCPU": 1, "MEMORY_MB": 512}."""
    result: dict[str, int] = {}
    for item in text.split(","):
        name, sep, amount = item.strip().partition(":")
        amount = amount.strip()
        if not sep or not _CLASS_RE.match(name) or not re.fullmatch(r"[0-9]+", amount):
            raise errors.BadRequest(
                f"Badly formed resources parameter. Expected resources query string "
                f"parameter in form: ?resources=VCPU:2,MEMORY_MB:1024. Got: {text[:200]}")
        value = int(amount)
        if value < 1 or value > MAX_INT:
            raise errors.BadRequest(
                f"Requested resource {name} expected positive integer amount. Got: {amount}")
        if name in result:
            raise errors.BadRequest(f"Resource class {name} specified more than once.")
        result[name] = value
    return result


def parse_traits(values: list[str], version: Version, param: str = "required") -> TraitFilter:
    """``required`` values: names, ``!NAME`` (1.22), ``in:A,B`` (1.39), repeatable at 1.39."""
    if len(values) > 1 and version < (1, 39):
        raise errors.BadRequest(f"Query parameter '{param}' may not be repeated.")
    result = TraitFilter()
    for value in values:
        if value.startswith("in:") and version >= (1, 39):
            names = _trait_names(value[3:], param, allow_forbidden=False)
            result.any_of.append(set(names))
            continue
        for name in _trait_names(value, param, allow_forbidden=version >= (1, 22)):
            if name.startswith("!"):
                result.forbidden.add(name[1:])
            else:
                result.required.add(name)
    conflict = result.required & result.forbidden
    if conflict:
        raise errors.BadRequest(
            f"Conflicting required and forbidden traits found in '{param}': "
            f"{', '.join(sorted(conflict))}")
    return result


def _trait_names(text: str, param: str, allow_forbidden: bool) -> list[str]:
    names = [n.strip() for n in text.split(",")]
    for name in names:
        bare = name[1:] if allow_forbidden and name.startswith("!") else name
        if not bare or not _CLASS_RE.match(bare) or len(bare) > 255:
            raise errors.BadRequest(
                f"Invalid query string parameters: Expected '{param}' parameter value of "
                f"the form: HW_CPU_X86_VMX,CUSTOM_MAGIC. Got: {text[:200]}")
    return names


def parse_member_of(values: list[str], version: Version) -> AggregateFilter:
    """``member_of`` values: ``uuid``, ``in:a,b``, repeatable (1.24), ``!``-forbidden (1.32)."""
    if len(values) > 1 and version < (1, 24):
        raise errors.BadRequest("Multiple member_of parameters are not supported.")
    result = AggregateFilter()
    for value in values:
        forbidden = value.startswith("!") and version >= (1, 32)
        if forbidden:
            value = value[1:]
        if value.startswith("in:"):
            value = value[3:]
            if forbidden and not value:
                raise errors.BadRequest("Invalid query string parameters: empty member_of")
        uuids = [v.strip() for v in value.split(",")]
        for agg in uuids:
            if not is_uuid(agg):
                raise errors.BadRequest(
                    f"Invalid query string parameters: Expected 'member_of' parameter to "
                    f"contain valid UUID(s). Got: {agg[:100]}")
        if forbidden:
            result.forbidden.update(uuids)
        else:
            result.any_of.append(set(uuids))
    for group in result.any_of:
        if group <= result.forbidden:
            raise errors.BadRequest(
                "Conflicting member_of: an aggregate is both required and forbidden.")
    return result


def parse_positive_int(text: str, name: str) -> int:
    """A positive integer parameter such as ``limit``."""
    if not re.fullmatch(r"[1-9][0-9]{0,9}", text.strip()):
        raise errors.BadRequest(
            f"Invalid query string parameters: '{name}' must be a positive integer. "
            f"Got: {text[:40]}")
    return int(text)


def group_suffix(key: str, base: str, version: Version) -> str | None:
    """The suffix of a granular parameter such as ``resources1``, or None if not one."""
    if not key.startswith(base) or key == base:
        return None
    suffix = key[len(base):]
    if version >= (1, 33):
        pattern = _STRING_SUFFIX
    else:
        pattern = _NUMBERED_SUFFIX
    if not pattern.match(suffix):
        raise errors.BadRequest(f"Invalid query string parameters: bad suffix in {key[:80]}")
    return suffix


def parse_bool(text: str, name: str) -> bool:
    """``true``/``false`` (any case)."""
    lowered = text.strip().lower()
    if lowered not in ("true", "false"):
        raise errors.BadRequest(f"Invalid query string parameters: '{name}' must be "
                                f"true or false. Got: {text[:40]}")
    return lowered == "true"
