"""The query string of GET /v2/images: filters, sorting and paging, checked.

Sorting is either ``sort_key``/``sort_dir`` (repeatable, paired in order) or
``sort=key[:dir],...``; the default is newest first. Hidden images (``os_hidden``)
are left out unless ``os_hidden=true`` is asked for.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence

from api_cell.image import errors, schemas
from db.api.images import SORT_COLUMNS, ImageFilters

DIRECTIONS = ("asc", "desc")
MAX_INTEGER = 2 ** 63 - 1  # sizes are BIGINT columns
VISIBILITY_FILTERS = (*schemas.VISIBILITIES, "all")
DEFAULT_SORT = (("created_at", "desc"),)
# Accepted and ignored: image members are not served, so no image is shared with
# anyone and every member_status filter sees the same images.
IGNORED = ("member_status",)
KNOWN = ("id", "name", "status", "visibility", "owner", "protected", "os_hidden", "tag",
         "size_min", "size_max", "limit", "marker", "sort_key", "sort_dir", "sort",
         *IGNORED)


@dataclasses.dataclass(frozen=True)
class ListRequest:
    """A list of images asked for."""

    filters: ImageFilters
    visibility: str | None
    sort: tuple[tuple[str, str], ...]
    limit: int | None
    marker: str | None


def _one(items: Sequence[tuple[str, str]], key: str) -> str | None:
    values = [value for name, value in items if name == key]
    if len(values) > 1:
        raise errors.BadRequest(f"Parameter {key} may be given only once.")
    return values[0] if values else None


def _any_of(items: Sequence[tuple[str, str]], key: str) -> tuple[str, ...] | None:
    """``key=value`` or, as the image API allows, ``key=in:a,b`` (any of them)."""
    value = _one(items, key)
    if value is None:
        return None
    if value.startswith("in:"):
        values = tuple(part for part in value[3:].split(",") if part)
        if not values:
            raise errors.BadRequest(f"Invalid value for '{key}': 'in:' names nothing.")
        return values
    return (value,)


def _boolean(key: str, value: str | None) -> bool | None:
    if value is None:
        return None
    if value.lower() not in ("true", "false"):
        raise errors.BadRequest(f"Invalid value for {key}: {value!r} (true or false).")
    return value.lower() == "true"


def _integer(key: str, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        number = -1
    if not 0 <= number <= MAX_INTEGER:
        raise errors.BadRequest(f"{key} param must be a non-negative integer: {value!r}")
    return number


def _sort_key(key: str) -> str:
    if key not in SORT_COLUMNS:
        raise errors.BadRequest(f"Invalid sort key: {key}. It should be one of: "
                                f"{', '.join(sorted(SORT_COLUMNS))}.")
    return key


def _direction(direction: str) -> str:
    if direction not in DIRECTIONS:
        raise errors.BadRequest(f"Invalid sort direction: {direction}.")
    return direction


def _sort(items: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    keys = [value for name, value in items if name == "sort_key"]
    dirs = [value for name, value in items if name == "sort_dir"]
    combined = _one(items, "sort")
    if combined is not None:
        if keys or dirs:
            raise errors.BadRequest("The 'sort' parameter cannot be combined with "
                                    "sort_key or sort_dir.")
        pairs = [part.strip().partition(":") for part in combined.split(",")]
        return tuple((_sort_key(key), _direction(d or "desc")) for key, _sep, d in pairs)
    if len(dirs) > max(len(keys), 1):
        raise errors.BadRequest("Each sort_dir needs a sort_key.")
    if not keys:
        return ((DEFAULT_SORT[0][0], _direction(dirs[0])),) if dirs else DEFAULT_SORT
    # A key without its own direction takes the first one given (or desc).
    fallback = dirs[0] if dirs else "desc"
    return tuple((_sort_key(key), _direction(dirs[i] if i < len(dirs) else fallback))
                 for i, key in enumerate(keys))


def parse(items: Sequence[tuple[str, str]]) -> ListRequest:
    """The list ``items`` (the query string's pairs, in order) ask for; BadRequest if bad."""
    unknown = sorted({name for name, _ in items if name not in KNOWN})
    if unknown:
        raise errors.BadRequest(f"Unsupported query parameter(s): {', '.join(unknown)}.")
    visibility = _one(items, "visibility")
    if visibility is not None and visibility not in VISIBILITY_FILTERS:
        raise errors.BadRequest(f"Invalid visibility value: {visibility}")
    marker = _one(items, "marker")
    if marker is not None:
        try:
            marker = str(uuid.UUID(marker))
        except ValueError:
            raise errors.BadRequest(f"Invalid marker: {marker!r}") from None
    hidden = _boolean("os_hidden", _one(items, "os_hidden"))
    filters = ImageFilters(
        ids=_any_of(items, "id"), names=_any_of(items, "name"),
        statuses=_any_of(items, "status"), owner=_one(items, "owner"),
        protected=_boolean("protected", _one(items, "protected")),
        os_hidden=bool(hidden),
        tags=tuple(value for name, value in items if name == "tag"),
        size_min=_integer("size_min", _one(items, "size_min")),
        size_max=_integer("size_max", _one(items, "size_max")))
    return ListRequest(filters, visibility, _sort(items),
                       _integer("limit", _one(items, "limit")), marker)
