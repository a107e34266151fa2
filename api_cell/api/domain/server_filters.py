"""Filtered server lists (status; tags from 2.26).

Unfiltered lists choose their page in the API DB. A filter on what only the cells know
cannot, so every enabled cell is asked at once for its first ``limit`` matches after the
marker, build requests are added from the API DB, and the answers are merge-sorted
(created_at, uuid, newest first). This costs O(cells x limit), as Nova's lists do; a
cell that fails is reported in the page like an unfiltered list does.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import logging

from api_cell.api import errors, request
from api_cell.api.context import RequestContext
from api_cell.api.domain import servers
from api_cell.api.domain.backends import Backends
from common import states
from db.api import instances as api_instances
from db.cell import queries as cell_queries

LOG = logging.getLogger(__name__)

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

    def any(self) -> bool:
        return bool(self.status is not None or self.tags or self.tags_any or
                    self.not_tags or self.not_tags_any)


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


def list_page(backends: Backends, context: RequestContext, limit: int | None,
              marker: str | None, all_projects: bool, filters: Filters) -> servers.Page:
    limit = backends.max_limit if limit is None else min(limit, backends.max_limit)
    project_id = None if all_projects else context.project_id
    before = None
    if marker is not None:
        servers._check_marker(backends, context, marker, project_id)
        anchor = api_instances.get_mapping(backends.api_url, marker)
        before = (anchor.created_at, anchor.instance_uuid)
    wanted_states = _states(filters.status)
    candidates: list[tuple] = []
    unavailable: list[str] = []
    if (wanted_states is None or (states.BUILDING, "*") in wanted_states) and \
            not filters.tags and not filters.tags_any:
        candidates += api_instances.build_page(backends.api_url, limit, project_id, before)
    cells = [cell for cell in backends.cells.cells() if not cell.disabled or cell.is_cell0]
    futures = {backends.pool.submit(
        cell_queries.page, cell.database_connection, limit, project_id, wanted_states,
        filters.tags, filters.tags_any, filters.not_tags, filters.not_tags_any,
        before): cell for cell in cells}
    done, _late = concurrent.futures.wait(futures, timeout=backends.cell_timeout)
    for future, cell in futures.items():
        if future in done and future.exception() is None:
            candidates += future.result()
        else:
            LOG.warning("cell %s did not answer a filtered list", cell.name)
            unavailable.append(cell.name)
    candidates.sort(reverse=True)
    chosen = [uuid for _created, uuid in candidates[:limit]]
    by_uuid = {m.instance_uuid: m for m in api_instances.mappings_of(backends.api_url, chosen)}
    mappings = [by_uuid[u] for u in chosen if u in by_uuid and not by_uuid[u].queued_for_delete]
    found, failed = servers._gather(backends, mappings)
    listed = servers.with_extras(backends, [found[m.instance_uuid] for m in mappings
                                            if m.instance_uuid in found])
    next_marker = chosen[-1] if len(candidates) >= limit and chosen else None
    return servers.Page(listed, sorted(set(unavailable) | set(failed)), next_marker)
