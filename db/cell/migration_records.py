"""Migration records (the ``migrations`` table) of a cell, as os-migrations reads them."""

from __future__ import annotations

import dataclasses
import datetime
import uuid as uuidlib
from collections.abc import Iterable
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


def create_if_absent(cell_url: str, migration_uuid: str, instance_uuid: str,
                     migration_type: str, status: str, **fields: Any
                     ) -> tuple[MigrationRecord, bool]:
    """The migration ``migration_uuid``, created with these values unless it exists;
    whether this call created it.

    The unique uuid makes it safe to race: of two callers (a task and its
    redelivery) one inserts, the other finds that row and changes nothing.
    """
    found = get_by_uuid(cell_url, migration_uuid)
    if found is not None:
        return found, False
    try:
        return create(cell_url, instance_uuid, migration_type, status, uuid=migration_uuid,
                      **fields), True
    except sa.exc.IntegrityError:
        found = get_by_uuid(cell_url, migration_uuid)
        if found is None:
            raise
        return found, False


def advance(cell_url: str, migration_uuid: str, status: str, from_statuses: Iterable[str],
            **fields: Any) -> bool:
    """Set ``status`` (and ``fields``) only while the status is one of ``from_statuses``;
    whether the record matched.

    The expectation is part of the UPDATE, so a stale or repeated writer cannot move a
    record back: a move that ended in ``error`` stays there whatever arrives late.
    """
    query = sa.update(Migration).where(Migration.uuid == migration_uuid,
                                       Migration.status.in_(list(from_statuses)))
    with session_for(cell_url) as session:
        return session.execute(query.values(status=status, **fields)).rowcount > 0


def copy_for_instance(source_url: str, target_url: str, instance_uuid: str,
                      hidden: bool) -> int:
    """Make the target cell's migration records of the instance those of the source
    cell (each keeps its uuid, gets its own id, and the ``hidden`` given); how many
    were copied.

    What the target held of the instance before is replaced in one transaction, so
    a repeated copy (a redelivered move) leaves one record per uuid. A target that
    shows any record of the instance holds the instance already (the move got past
    its flip): it is left as it is, and a late copy cannot take its records back.
    """
    with session_for(source_url) as session:
        rows = [{column.key: getattr(row, column.key) for column in Migration.__table__.columns
                 if column.key not in ("id", "hidden")}
                for row in session.scalars(sa.select(Migration).where(
                    Migration.instance_uuid == instance_uuid).order_by(Migration.id))]
    with session_for(target_url) as session:
        # FOR UPDATE: a reveal of these rows waits until this copy is committed.
        held = session.scalars(sa.select(Migration.hidden).where(
            Migration.instance_uuid == instance_uuid).with_for_update()).all()
        if not all(held):
            return 0
        session.execute(sa.delete(Migration).where(Migration.instance_uuid == instance_uuid))
        session.add_all(Migration(**values, hidden=hidden) for values in rows)
    return len(rows)


def set_hidden(cell_url: str, instance_uuid: str, hidden: bool) -> int:
    """Hide the instance's records in this cell from os-migrations, or show them; how
    many rows that matched."""
    with session_for(cell_url) as session:
        return session.execute(sa.update(Migration).where(
            Migration.instance_uuid == instance_uuid).values(hidden=hidden)).rowcount


def purge_instance(cell_url: str, instance_uuid: str) -> None:
    """Remove the instance's records from this cell (its row is purged: another cell
    holds the instance and the copies of its records)."""
    with session_for(cell_url) as session:
        session.execute(sa.delete(Migration).where(Migration.instance_uuid == instance_uuid))
