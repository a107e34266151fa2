"""Filtered or sorted server lists (every filter but the default list's; any sort but
the default created_at desc).

Unfiltered lists in the default order choose their page in the API DB. A filter on
what only the cells know, or another order, cannot, so every cell (a disabled one
too: it still serves its servers) is asked at once for its first ``limit`` matches
after the marker (a keyset position: the marker's values of the sort columns, the
uuid last), build requests are added from the API DB, and the answers are
merge-sorted by the same keys. This costs O(cells x limit), as Nova's lists do; a
cell that fails is reported in the page like an unfiltered list does.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import re
from collections.abc import Callable, Iterable
from typing import Any

from api_cell.api import errors, request
from api_cell.api.context import RequestContext
from api_cell.api.domain import networks, records, servers
from api_cell.api.domain.backends import Backends
from common import states
from db.api import instances as api_instances
from db.cell import queries as cell_queries

# (column, "asc" | "desc") pairs, the uuid last.
Sort = list[tuple[str, str]] | tuple[tuple[str, str], ...]
# The default order, which an unfiltered list is served in from the API DB alone.
DEFAULT_SORT = cell_queries.DEFAULT_SORT
# Rows read from a cell at a time when regular expressions filter them after the query.
_BATCH = 100
# Sort keys Nova accepts that Cellar keeps nothing to sort by: accepted and ignored,
# as Nova ignores the keys of its own ignore list.
IGNORED_SORT_KEYS = frozenset({
    "auto_disk_config", "instance_type_id", "kernel_id", "launch_index", "ramdisk_id",
    "root_device_name", "architecture", "cell_name", "cleaned",
    "default_ephemeral_device", "default_swap_device", "deleted", "deleted_at",
    "disable_terminate", "ephemeral_gb", "ephemeral_key_uuid", "id", "key_data",
    "launched_on", "memory_mb", "os_type", "reservation_id", "root_gb",
    "shutdown_terminate", "user_data", "vcpus", "vm_mode"})
# Sort keys only administrators may use (others get 403, as from Nova).
ADMIN_SORT_KEYS = frozenset({"host", "node"})


def parse_sort(keys: list[str], dirs: list[str], is_admin: bool,
               locked_sortable: bool) -> Sort:
    """The sort of ``sort_key``/``sort_dir`` (repeatable, paired in order), the uuid
    appended as the last tie-breaker.

    A key or direction Nova does not know is 400, as is a direction without a key; a
    key without a direction takes the first direction given, else desc. ``locked`` is
    a key from 2.73 (ignored before, as Nova does).
    """
    if len(dirs) > len(keys):
        raise errors.BadRequest("Each sort_dir needs a sort_key.")
    for direction in dirs:
        if direction not in ("asc", "desc"):
            raise errors.BadRequest(f"Invalid input for query parameters sort_dir. "
                                    f"Value: {direction}. It is not 'asc' or 'desc'.")
    fallback = dirs[0] if dirs else "desc"
    sort: list[tuple[str, str]] = []
    for index, key in enumerate(keys):
        if key not in cell_queries.SORTABLE | IGNORED_SORT_KEYS:
            raise errors.BadRequest(f"Invalid input for query parameters sort_key. "
                                    f"Value: {key}. It is not a known sort key.")
        if key in ADMIN_SORT_KEYS and not is_admin:
            raise errors.Forbidden(f"Only administrators can sort servers by {key}")
        usable = key in cell_queries.SORTABLE and (key != "locked" or locked_sortable)
        if usable and key not in dict(sort):
            sort.append((key, dirs[index] if index < len(dirs) else fallback))
    if not sort:
        return cell_queries.DEFAULT_SORT
    if "uuid" not in dict(sort):
        sort.append(("uuid", sort[0][1]))
    return tuple(sort)


# Every status the API knows; those Cellar never reaches match nothing.
KNOWN_STATUSES = frozenset({
    "ACTIVE", "BUILD", "DELETED", "ERROR", "HARD_REBOOT", "MIGRATING", "PASSWORD",
    "PAUSED", "REBOOT", "REBUILD", "RESCUE", "RESIZE", "REVERT_RESIZE", "SHELVED",
    "SHELVED_OFFLOADED", "SHUTOFF", "SOFT_DELETED", "SUSPENDED", "UNKNOWN",
    "VERIFY_RESIZE"})
# (vm_state, task_state) pairs of each status Cellar's instances can be in.
_STATES = {
    "ACTIVE": [(states.ACTIVE, None), (states.ACTIVE, states.POWERING_OFF),
               (states.ACTIVE, states.DELETING)],
    "BUILD": [(states.BUILDING, "*")],
    "SHUTOFF": [(states.STOPPED, "*")],
    "ERROR": [(states.ERROR, "*")],
    "REBOOT": [(states.ACTIVE, states.REBOOTING)],
    "HARD_REBOOT": [(states.ACTIVE, states.REBOOTING_HARD)],
}


@dataclasses.dataclass(frozen=True)
class Filters:
    status: str | None = None
    tags: list[str] = dataclasses.field(default_factory=list)
    tags_any: list[str] = dataclasses.field(default_factory=list)
    not_tags: list[str] = dataclasses.field(default_factory=list)
    not_tags_any: list[str] = dataclasses.field(default_factory=list)
    # Last change (updated_at, else created_at) at or after / at or before these.
    changes_since: datetime.datetime | None = None
    changes_before: datetime.datetime | None = None
    # Instance columns that must equal a value (vm_state, task_state, power_state,
    # availability_zone, user_id, created_at, launched_at, terminated_at: for admins,
    # and from 2.83 for everyone; image_ref and locked for everyone).
    exact: dict[str, Any] = dataclasses.field(default_factory=dict)
    # Regular expressions one of the server's IPv4 (``ip``) and one of its IPv6
    # (``ip6``) addresses must match, from the address's start.
    ip: str | None = None
    ip6: str | None = None
    # The flavor id of the server's flavor copy.
    flavor: str | None = None
    # The reservation id, kept in the API DB's request spec (matched here, after the
    # cell query, as are the regular expressions: SQL has no portable REGEXP).
    reservation_id: str | None = None
    # Regular expressions searched in instance columns (SEARCHED_COLUMNS), as Nova
    # searches every column its exact filters leave; a NULL matches none.
    searched: dict[str, re.Pattern] = dataclasses.field(default_factory=dict)

    def any(self) -> bool:
        return bool(self.status is not None or self.tags or self.tags_any or
                    self.not_tags or self.not_tags_any or self.changes_since is not None
                    or self.changes_before is not None or self.exact or self.by_address()
                    or self.flavor is not None or self.after_query())

    def by_address(self) -> bool:
        """Whether the servers must hold an address matching ``ip`` or ``ip6``."""
        return self.ip is not None or self.ip6 is not None

    def after_query(self) -> bool:
        """Whether some filters are matched here, after the cell query."""
        return bool(self.searched) or self.reservation_id is not None

    def keeps_row(self, row: dict[str, Any]) -> bool:
        """Whether a row's searched columns match their regular expressions."""
        return all(_searched(pattern, row[column])
                   for column, pattern in self.searched.items())

    def keeps_tags(self, tags: Iterable[str]) -> bool:
        """Whether a build request's tags (asked for at create, 2.52) pass the filters,
        as the cells' query applies them to placed servers."""
        have = set(tags)
        return (set(self.tags) <= have
                and (not self.tags_any or bool(have & set(self.tags_any)))
                and (not self.not_tags or not set(self.not_tags) <= have)
                and not have & set(self.not_tags_any))

    def keeps_spec(self, instance_uuid: str, spec: dict[str, Any]) -> bool:
        """Whether the reservation id of a server's request spec matches (a server
        created before multiple create kept none: the views show one made of its
        uuid)."""
        reservation = spec.get("reservation_id", "r-" + instance_uuid.replace("-", "")[:8])
        return self.reservation_id is None or reservation == self.reservation_id

    def keeps_build(self, build: api_instances.Build) -> bool:
        """Whether a build request (building, being scheduled, changed last when
        created) passes every filter, as the cells' query would if it were placed."""
        row = build_row(build)
        created = build.created_at
        flavor = (build.instance.get("flavor") or {}).get("id")
        return ((self.changes_since is None or created >= self.changes_since)
                and (self.changes_before is None or created <= self.changes_before)
                and all(row[name] == value for name, value in self.exact.items())
                and (self.flavor is None or str(flavor) == self.flavor)
                and self.keeps_row(row)
                and self.keeps_spec(build.instance_uuid, build.spec)
                and self.keeps_tags(build.instance.get("tags") or ()))


# The instance columns regular expression filters search, by query parameter.
SEARCHED_COLUMNS = {"name": "display_name", "description": "display_description",
                    "key_name": "key_name", "config_drive": "config_drive",
                    "progress": "progress", "access_ip_v4": "access_ip_v4",
                    "access_ip_v6": "access_ip_v6"}


def _searched(pattern: re.Pattern | None, value: Any) -> bool:
    # An integer column (progress) is searched as its decimal text, as Nova's REGEXP
    # on MariaDB searches it.
    return pattern is None or (value is not None
                               and pattern.search(str(value)) is not None)


def regex(name: str, text: str) -> re.Pattern:
    """A regular expression query parameter; BadRequest if it does not compile."""
    try:
        return re.compile(text)
    except re.error as error:
        raise errors.BadRequest(f"Invalid input for query parameters {name}. "
                                f"Value: {text}. It is not a valid regular "
                                "expression.") from error


def build_row(build: api_instances.Build) -> dict[str, Any]:
    """The instance columns a build request would have in its cell, for sorting and
    filtering it with the placed servers (the superconductor writes the same values
    when it places it)."""
    return {"uuid": build.instance_uuid, "created_at": build.created_at,
            "display_name": build.instance.get("name"), "vm_state": states.BUILDING,
            "task_state": states.SCHEDULING, "power_state": states.NOSTATE,
            "updated_at": None, "launched_at": None, "terminated_at": None,
            "host": None, "node": None,
            "availability_zone": build.instance.get("availability_zone"),
            "user_id": build.user_id, "project_id": build.project_id,
            "image_ref": build.instance.get("image_ref"), "locked": False,
            "locked_by": None, **records.spec_columns(build)}


@functools.total_ordering
class _Position:
    """One column's value in a sort key: NULL first, reversed for a descending sort."""

    __slots__ = ("value", "descending")

    def __init__(self, value: Any, descending: bool) -> None:
        self.value, self.descending = value, descending

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Position) and self.value == other.value

    def __lt__(self, other: _Position) -> bool:
        if self.value == other.value:
            return False
        ascending_less = self.value is None or (other.value is not None
                                                and self.value < other.value)
        return ascending_less != self.descending

    __hash__ = None  # type: ignore[assignment]


def order_key(sort: Sort) -> Callable[[dict[str, Any]], tuple]:
    """The Python sort key of rows in the order of ``sort``, as the cells order them."""
    return lambda row: tuple(_Position(row[name], direction == "desc")
                             for name, direction in sort)


def parse_time(name: str, text: str) -> datetime.datetime:
    """An ISO 8601 query parameter as a naive UTC datetime; BadRequest if malformed."""
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise errors.BadRequest(f"Invalid input for query parameters {name}. "
                                f"Value: {text}. It is not a valid date-time.") from error
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC).replace(tzinfo=None)
    return moment


def split_tags(text: str) -> list[str]:
    return [tag.strip() for tag in text.split(",") if tag.strip()]


def _states(status: str | None) -> list[tuple[str, str | None]] | None:
    """The states a status filter selects; BadRequest for an unknown one from 2.38."""
    if status is None:
        return None
    wanted = status.upper()
    if wanted not in KNOWN_STATUSES:
        if request.at_least("2.38"):
            raise errors.BadRequest(f"Invalid status value: {status}")
        return []
    return _STATES.get(wanted, [])


def _builds(backends: Backends, filters: Filters, limit: int, project_id: str | None,
            sort: Sort, after: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The rows of the build requests the filters keep, after the marker.

    With the default sort the API DB's index gives the first ``limit`` of them;
    with another, every build request of the project is read (there are only those
    being scheduled).
    """
    default = tuple(sort) == cell_queries.DEFAULT_SORT
    before = (after["created_at"], after["uuid"]) if default and after else None
    found = api_instances.build_page(backends.api_url, limit if default else None,
                                     project_id, before)
    builds = api_instances.get_builds(backends.api_url, [uuid for _c, uuid in found])
    key = order_key(sort)
    return [build_row(build) for build in builds.values() if filters.keeps_build(build)
            and (after is None or key(build_row(build)) > key(after))]


def _cell_rows(cell_url: str, backends: Backends, filters: Filters, limit: int | None,
               after: dict[str, Any] | None, **query: Any) -> list[dict[str, Any]]:
    """The first ``limit`` rows of one cell passing every filter, after ``after``.

    The regular expressions and the reservation id are matched here, so the cell is
    read in batches until ``limit`` rows pass or it has no more.
    """
    if not filters.after_query():
        return cell_queries.page(cell_url, limit, after=after, **query)
    kept: list[dict[str, Any]] = []
    batch = None if limit is None else max(limit, _BATCH)
    while True:
        rows = cell_queries.page(cell_url, batch, after=after,
                                 columns=tuple(filters.searched), **query)
        kept += _matching(backends, filters, rows)
        if batch is None or len(rows) < batch or len(kept) >= limit:
            return kept[:limit]
        after = rows[-1]


def _matching(backends: Backends, filters: Filters,
              rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows whose searched columns, and whose reservation id (kept in the API
    DB's request specs), pass the filters."""
    rows = [row for row in rows if filters.keeps_row(row)]
    if filters.reservation_id is None:
        return rows
    specs = api_instances.specs_of(backends.api_url, [row["uuid"] for row in rows])
    return [row for row in rows
            if filters.keeps_spec(row["uuid"], specs.get(row["uuid"], {}))]


def _marker_row(backends: Backends, marker: str, sort: Sort) -> dict[str, Any]:
    """The marker's values of the sort columns: the keyset position a page starts after."""
    anchor = api_instances.get_mapping(backends.api_url, marker)
    if tuple(sort) == cell_queries.DEFAULT_SORT:
        return {"created_at": anchor.created_at, "uuid": anchor.instance_uuid}
    if anchor.cell_id is None:
        build = api_instances.get_build(backends.api_url, marker)
        if build is not None:
            return build_row(build)
        anchor = servers.refreshed(backends, anchor)
    row = backends.in_cell(servers.cell_of(backends, anchor), cell_queries.values_of,
                           marker, [name for name, _d in sort])
    if row is None:
        raise errors.BadRequest(f"marker [{marker}] not found")
    return row


def list_page(backends: Backends, context: RequestContext, limit: int | None,
              marker: str | None, all_projects: bool, filters: Filters,
              sort: Sort = cell_queries.DEFAULT_SORT) -> servers.Page:
    """A page of the servers passing ``filters``, in the order of ``sort`` (whose
    last key is the uuid), merged from every cell and the build requests."""
    limit = backends.max_limit if limit is None else min(limit, backends.max_limit)
    project_id = None if all_projects else context.project_id
    after = None
    if marker is not None:
        servers._check_marker(backends, context, marker, project_id)
        after = _marker_row(backends, marker, sort)
    holders = _holders(backends, filters)
    if holders is not None:
        if not dataclasses.replace(filters, ip=None, ip6=None).any() and \
                tuple(sort) == cell_queries.DEFAULT_SORT:
            before = None if after is None else (after["created_at"], after["uuid"])
            return _page_of_holders(backends, holders, limit, project_id, before)
    wanted_states = _states(filters.status)
    candidates: list[dict[str, Any]] = []
    unavailable: list[str] = []
    if wanted_states is None or (states.BUILDING, "*") in wanted_states:
        candidates += _builds(backends, filters, limit, project_id, sort, after)
    # Addresses are not in the cells: with an ip or ip6 filter too, each cell gives every
    # match of the other filters and those holding no matching address are dropped
    # here (Nova, too, lifts the limit of its query when filtering by ip).
    query = functools.partial(
        _cell_rows, backends=backends, filters=filters,
        limit=limit if holders is None else None, after=after, sort=sort,
        project_id=project_id, states=wanted_states,
        tags=filters.tags, tags_any=filters.tags_any, not_tags=filters.not_tags,
        not_tags_any=filters.not_tags_any,
        changed_since=filters.changes_since, changed_before=filters.changes_before,
        exact=filters.exact, flavor_id=filters.flavor)
    # A cell that is down, fails or is late is reported (and its breaker opened).
    answers, missing = backends.read_cells(dict.fromkeys(backends.cells.cells(), query))
    for answer in answers.values():
        candidates += answer
    unavailable += [cell.name for cell in missing]
    if holders is not None:
        candidates = [c for c in candidates if c["uuid"] in holders]
    candidates.sort(key=order_key(sort))
    chosen = [row["uuid"] for row in candidates[:limit]]
    by_uuid = {m.instance_uuid: m for m in api_instances.mappings_of(backends.api_url, chosen)}
    mappings = [by_uuid[u] for u in chosen if u in by_uuid and not by_uuid[u].queued_for_delete]
    found, failed = servers._gather(backends, mappings)
    listed = servers.with_extras(backends, [found[m.instance_uuid] for m in mappings
                                            if m.instance_uuid in found])
    next_marker = chosen[-1] if len(candidates) >= limit and chosen else None
    return servers.Page(listed, sorted(set(unavailable) | set(failed)), next_marker)


def _holders(backends: Backends, filters: Filters) -> set[str] | None:
    """The servers holding an IPv4 address ``ip`` matches and an IPv6 one ``ip6``
    matches (each where given); None without either filter."""
    holders = None
    for pattern, version in ((filters.ip, 4), (filters.ip6, 6)):
        if pattern is not None:
            found = networks.matching(backends.api_url, backends.network, pattern, version)
            holders = found if holders is None else holders & found
    return holders


def _page_of_holders(backends: Backends, holders: set[str], limit: int,
                     project_id: str | None,
                     before: tuple[datetime.datetime, str] | None) -> servers.Page:
    """A page of the servers holding matching addresses when ``ip``/``ip6`` are the only
    filters:
    chosen from their mappings in the API DB, where the addresses are too, so only the
    cells of the page's servers are read."""
    mappings = [m for m in api_instances.mappings_of(backends.api_url, sorted(holders))
                if not m.queued_for_delete
                and (project_id is None or m.project_id == project_id)
                and (before is None or (m.created_at, m.instance_uuid) < before)]
    mappings.sort(key=lambda m: (m.created_at, m.instance_uuid), reverse=True)
    chosen = mappings[:limit]
    found, failed = servers._gather(backends, chosen)
    listed = servers.with_extras(backends, [found[m.instance_uuid] for m in chosen
                                            if m.instance_uuid in found])
    next_marker = chosen[-1].instance_uuid if len(mappings) > limit else None
    return servers.Page(listed, sorted(failed), next_marker)
