"""Migration records (the ``migrations`` table) of a cell, as os-migrations reads them."""

from __future__ import annotations

import dataclasses
import datetime
import uuid as uuidlib
from typing import Any

import sqlalchemy as sa

from db.cell.models import Migration
from db.engine import session_for


@dataclasses.dataclass(frozen=True)
class MigrationRecord:
    id: int
    uuid: str
    instance_uuid: str
    source_compute: str | None
    source_node: str | None
    dest_compute: str | None
    dest_node: str | None
    dest_host: str | None
    old_flavor_id: str | None
    new_flavor_id: str | None
    status: str
    migration_type: str
    user_id: str | None
    project_id: str | None
    created_at: datetime.datetime
    updated_at: datetime.datetime | None


def _record(row: Migration) -> MigrationRecord:
    return MigrationRecord(row.id, row.uuid, row.instance_uuid, row.source_compute,
                           row.source_node, row.dest_compute, row.dest_node, row.dest_host,
                           row.old_flavor_id, row.new_flavor_id, row.status,
                           row.migration_type, row.user_id, row.project_id, row.created_at,
                           row.updated_at)


def create(cell_url: str, instance_uuid: str, migration_type: str, status: str,
           **fields: Any) -> MigrationRecord:
    """Record a move (``fields``: hosts, nodes, flavors, user, project, uuid...)."""
    fields.setdefault("uuid", str(uuidlib.uuid4()))
    with session_for(cell_url) as session:
        row = Migration(instance_uuid=instance_uuid, migration_type=migration_type,
                        status=status, **fields)
        session.add(row)
        session.flush()
        return _record(row)


def get_by_uuid(cell_url: str, migration_uuid: str) -> MigrationRecord | None:
    """The migration with that uuid in this cell, or None."""
    with session_for(cell_url) as session:
        row = session.scalars(sa.select(Migration).where(
            Migration.uuid == migration_uuid)).first()
        return None if row is None else _record(row)


def page(cell_url: str, limit: int, exact: dict[str, str] | None = None,
         host: str | None = None, changed_since: datetime.datetime | None = None,
         changed_before: datetime.datetime | None = None,
         before: tuple[datetime.datetime, str] | None = None) -> list[MigrationRecord]:
    """Up to ``limit`` visible (not hidden) migrations, newest first (created_at, uuid).

    ``exact`` maps columns to required values; ``host`` matches the source or the
    destination compute; the change bounds apply to updated_at (else created_at);
    ``before`` is the (created_at, uuid) of the marker.
    """
    query = sa.select(Migration).where(Migration.hidden.is_(False))
    for column, value in (exact or {}).items():
        query = query.where(getattr(Migration, column) == value)
    if host is not None:
        query = query.where(sa.or_(Migration.source_compute == host,
                                   Migration.dest_compute == host))
    changed = sa.func.coalesce(Migration.updated_at, Migration.created_at)
    if changed_since is not None:
        query = query.where(changed >= changed_since)
    if changed_before is not None:
        query = query.where(changed <= changed_before)
    if before is not None:
        moment, marker = before
        query = query.where(sa.or_(Migration.created_at < moment, sa.and_(
            Migration.created_at == moment, Migration.uuid < marker)))
    query = query.order_by(Migration.created_at.desc(), Migration.uuid.desc()).limit(limit)
    with session_for(cell_url) as session:
        return [_record(row) for row in session.scalars(query)]
