"""os-migrations: the migration records of every cell, merged newest first.

Each cell returns its first ``limit`` matches after the marker; the answers are
merge-sorted on (created_at, uuid), so a page costs O(cells x limit). A cell that does
not answer makes the list 503, as os-services does: a list of moves with a silent gap
would mislead an operator.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools

from api_cell.api import errors
from api_cell.api.domain import hosts
from api_cell.api.domain.backends import Backends
from db.cell import migration_records
from db.cell.migration_records import MigrationRecord


@dataclasses.dataclass(frozen=True)
class Query:
    """What to list: exact column values, a host, change bounds, a page."""

    exact: dict[str, str] = dataclasses.field(default_factory=dict)
    host: str | None = None
    changes_since: datetime.datetime | None = None
    changes_before: datetime.datetime | None = None
    limit: int | None = None
    marker: str | None = None


def list_page(backends: Backends, query: Query) -> list[MigrationRecord]:
    """A page of migrations across the cells; BadRequest if the marker names none."""
    limit = backends.max_limit if query.limit is None else min(query.limit,
                                                               backends.max_limit)
    before = None
    if query.marker is not None:
        anchor = _find(backends, query.marker)
        before = (anchor.created_at, anchor.uuid)
    call = functools.partial(migration_records.page, limit=limit, exact=query.exact,
                             host=query.host, changed_since=query.changes_since,
                             changed_before=query.changes_before, before=before)
    found = [record for _cell, records in hosts.scatter(backends, call)
             for record in records]
    found.sort(key=lambda r: (r.created_at, r.uuid), reverse=True)
    return found[:limit]


def _find(backends: Backends, migration_uuid: str) -> MigrationRecord:
    for _cell, record in hosts.scatter(backends, migration_records.get_by_uuid,
                                       migration_uuid):
        if record is not None:
            return record
    raise errors.BadRequest(f"Marker {migration_uuid} could not be found.")
