"""Instance mappings, build requests and request specs: a server's life in the API DB.

The API creates all three in one transaction. A superconductor ``place``s the build
(delete the build request, point the mapping at a cell) in one transaction; a tenant
who deletes a server still building ``cancel``s it the same way. Deleting the build
request is the compare-and-swap: whichever of the two deletes it wins.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import sqlalchemy as sa

from db import errors
from db.api.models import BuildRequest, InstanceMapping, RequestSpec
from db.base import utcnow
from db.engine import session_for


@dataclasses.dataclass(frozen=True)
class Mapping:
    """Where an instance lives; ``cell_id`` is None while it is being scheduled."""

    instance_uuid: str
    cell_id: int | None
    project_id: str
    user_id: str
    queued_for_delete: bool
    created_at: datetime.datetime


@dataclasses.dataclass(frozen=True)
class Build:
    """A server accepted by the API that no cell holds yet, with its request spec."""

    instance_uuid: str
    project_id: str
    user_id: str
    instance: dict[str, Any]
    spec: dict[str, Any]
    created_at: datetime.datetime


def _mapping(row: InstanceMapping) -> Mapping:
    return Mapping(row.instance_uuid, row.cell_id, row.project_id, row.user_id,
                   row.queued_for_delete, row.created_at)


def create_build(api_url: str, instance_uuid: str, project_id: str, user_id: str,
                 instance: dict[str, Any], spec: dict[str, Any]) -> datetime.datetime:
    """Record a new server: request spec, build request and unplaced mapping, atomically."""
    return create_builds(api_url, project_id, user_id,
                         [NewBuild(instance_uuid, instance, spec)])


def get_build(api_url: str, instance_uuid: str) -> Build | None:
    """The build request of ``instance_uuid`` with its spec, or None once placed/cancelled."""
    with session_for(api_url) as session:
        row = session.execute(
            sa.select(BuildRequest, RequestSpec.spec)
            .join(RequestSpec, RequestSpec.instance_uuid == BuildRequest.instance_uuid)
            .where(BuildRequest.instance_uuid == instance_uuid)).first()
        if row is None:
            return None
        build, spec = row
        return Build(build.instance_uuid, build.project_id, build.user_id, build.instance,
                     spec, build.created_at)


def get_builds(api_url: str, instance_uuids: list[str]) -> dict[str, Build]:
    """Build requests of the listed instances that still have one, by uuid."""
    if not instance_uuids:
        return {}
    with session_for(api_url) as session:
        rows = session.execute(
            sa.select(BuildRequest, RequestSpec.spec)
            .join(RequestSpec, RequestSpec.instance_uuid == BuildRequest.instance_uuid)
            .where(BuildRequest.instance_uuid.in_(instance_uuids))).all()
        return {b.instance_uuid: Build(b.instance_uuid, b.project_id, b.user_id, b.instance,
                                       spec, b.created_at) for b, spec in rows}


def get_mapping(api_url: str, instance_uuid: str) -> Mapping:
    """The mapping of ``instance_uuid``; NotFound if there is none."""
    with session_for(api_url) as session:
        row = session.scalars(sa.select(InstanceMapping).where(
            InstanceMapping.instance_uuid == instance_uuid)).first()
        if row is None:
            raise errors.NotFound(f"instance {instance_uuid} could not be found")
        return _mapping(row)


def place(api_url: str, instance_uuid: str, cell_id: int) -> bool:
    """Point the mapping at ``cell_id`` and drop the build request, atomically.

    False means the build request was gone: the tenant deleted the server first.
    """
    with session_for(api_url) as session:
        deleted = session.execute(sa.delete(BuildRequest).where(
            BuildRequest.instance_uuid == instance_uuid)).rowcount
        if deleted != 1:
            return False
        session.execute(sa.update(InstanceMapping)
                        .where(InstanceMapping.instance_uuid == instance_uuid)
                        .values(cell_id=cell_id))
        return True


def cancel_build(api_url: str, instance_uuid: str) -> bool:
    """Delete a server that is still a build request: build request, mapping and spec.

    False means there was no build request: a superconductor placed it first.
    """
    return cancel_builds(api_url, [instance_uuid]) == [instance_uuid]


def forget(api_url: str, instance_uuid: str) -> None:
    """Remove every API-DB trace of an instance (mapping, spec, build request)."""
    with session_for(api_url) as session:
        session.execute(sa.delete(BuildRequest).where(
            BuildRequest.instance_uuid == instance_uuid))
        _forget(session, instance_uuid)


def _forget(session, instance_uuid: str) -> None:
    session.execute(sa.delete(InstanceMapping).where(
        InstanceMapping.instance_uuid == instance_uuid))
    session.execute(sa.delete(RequestSpec).where(RequestSpec.instance_uuid == instance_uuid))


def mark_queued_for_delete(api_url: str, instance_uuid: str) -> None:
    """Hide the instance from lists while its cell deletes it."""
    with session_for(api_url) as session:
        session.execute(sa.update(InstanceMapping)
                        .where(InstanceMapping.instance_uuid == instance_uuid)
                        .values(queued_for_delete=True))


def page(api_url: str, limit: int, project_id: str | None = None,
         marker: str | None = None) -> list[Mapping]:
    """One page of live mappings, newest first (created_at desc, uuid desc).

    The page is chosen here, in one indexed query, so listing costs O(limit) whatever
    the number of cells. NotFound if ``marker`` names no mapping.
    """
    query = sa.select(InstanceMapping).where(InstanceMapping.queued_for_delete.is_(False))
    if project_id is not None:
        query = query.where(InstanceMapping.project_id == project_id)
    if marker is not None:
        anchor = get_mapping(api_url, marker)
        # The redundant ``created_at <=`` gives the index a range to scan; the OR alone
        # would make MariaDB read every row before the marker.
        query = query.where(InstanceMapping.created_at <= anchor.created_at, sa.or_(
            InstanceMapping.created_at < anchor.created_at,
            InstanceMapping.instance_uuid < anchor.instance_uuid))
    query = query.order_by(InstanceMapping.created_at.desc(),
                           InstanceMapping.instance_uuid.desc()).limit(limit)
    with session_for(api_url) as session:
        return [_mapping(row) for row in session.scalars(query)]


def count_in_cell(api_url: str, cell_id: int) -> int:
    """Live instances mapped to the cell (deleted ones waiting for purge excluded)."""
    with session_for(api_url) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(InstanceMapping).where(
            InstanceMapping.cell_id == cell_id,
            InstanceMapping.queued_for_delete.is_(False)))


def count_for_project(api_url: str, project_id: str) -> int:
    """Live instances of a project (building, placed, or in cell0), for quota."""
    with session_for(api_url) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(InstanceMapping).where(
            InstanceMapping.project_id == project_id,
            InstanceMapping.queued_for_delete.is_(False)))


def pending_resources(api_url: str, project_id: str) -> dict[str, int]:
    """Resources asked for by the project's build requests no cell holds yet.

    Their claims may not be in placement yet, so quota counts them here.
    """
    totals: dict[str, int] = {}
    with session_for(api_url) as session:
        specs = session.scalars(
            sa.select(RequestSpec.spec)
            .join(BuildRequest, BuildRequest.instance_uuid == RequestSpec.instance_uuid)
            .where(BuildRequest.project_id == project_id)).all()
    for spec in specs:
        for resource, amount in (spec or {}).get("resources", {}).items():
            totals[resource] = totals.get(resource, 0) + int(amount)
    return totals


def specs_of(api_url: str, instance_uuids: list[str]) -> dict[str, dict[str, Any]]:
    """The request spec of each listed instance that has one."""
    if not instance_uuids:
        return {}
    with session_for(api_url) as session:
        rows = session.execute(sa.select(RequestSpec.instance_uuid, RequestSpec.spec).where(
            RequestSpec.instance_uuid.in_(instance_uuids))).all()
    return {uuid: spec or {} for uuid, spec in rows}


def mappings_of(api_url: str, instance_uuids: list[str]) -> list[Mapping]:
    """The mappings of the listed instances that have one."""
    if not instance_uuids:
        return []
    with session_for(api_url) as session:
        return [_mapping(row) for row in session.scalars(sa.select(InstanceMapping).where(
            InstanceMapping.instance_uuid.in_(instance_uuids)))]


def build_page(api_url: str, limit: int, project_id: str | None = None,
               before: tuple[datetime.datetime, str] | None = None
               ) -> list[tuple[datetime.datetime, str]]:
    """(created_at, uuid) of build requests no cell holds yet, newest first."""
    query = sa.select(BuildRequest.created_at, BuildRequest.instance_uuid)
    if project_id is not None:
        query = query.where(BuildRequest.project_id == project_id)
    if before is not None:
        moment, uuid = before
        query = query.where(sa.or_(BuildRequest.created_at < moment, sa.and_(
            BuildRequest.created_at == moment, BuildRequest.instance_uuid < uuid)))
    query = query.order_by(BuildRequest.created_at.desc(),
                           BuildRequest.instance_uuid.desc()).limit(limit)
    with session_for(api_url) as session:
        return [(row.created_at, row.instance_uuid) for row in session.execute(query)]


def move_mapping(api_url: str, instance_uuid: str, from_cell_id: int, to_cell_id: int) -> bool:
    """Point a live mapping from one cell at another, in one transaction.

    The compare-and-swap on the current cell and on ``queued_for_delete`` makes the move
    happen once: False means the mapping was elsewhere already or the server is being
    deleted.
    """
    with session_for(api_url) as session:
        return session.execute(
            sa.update(InstanceMapping)
            .where(InstanceMapping.instance_uuid == instance_uuid,
                   InstanceMapping.cell_id == from_cell_id,
                   InstanceMapping.queued_for_delete.is_(False))
            .values(cell_id=to_cell_id)).rowcount == 1


def uuids_in_cell(api_url: str, cell_id: int) -> list[str]:
    """The live instances mapped to a cell, oldest first."""
    with session_for(api_url) as session:
        return list(session.scalars(
            sa.select(InstanceMapping.instance_uuid)
            .where(InstanceMapping.cell_id == cell_id,
                   InstanceMapping.queued_for_delete.is_(False))
            .order_by(InstanceMapping.created_at, InstanceMapping.instance_uuid)))


def update_spec(api_url: str, instance_uuid: str, **changes: Any) -> None:
    """Set keys of an instance's request spec (a rebuild's description, key name);
    a key set to None is removed. Nothing happens if the instance has no spec."""
    with session_for(api_url) as session:
        row = session.scalars(sa.select(RequestSpec).where(
            RequestSpec.instance_uuid == instance_uuid).with_for_update()).first()
        if row is None:
            return
        spec = dict(row.spec or {})
        for key, value in changes.items():
            if value is None:
                spec.pop(key, None)
            else:
                spec[key] = value
        row.spec = spec


def mapped_uuids(api_url: str, instance_uuids: list[str]) -> set[str]:
    """Which of the listed instances have a mapping (wherever it points)."""
    if not instance_uuids:
        return set()
    with session_for(api_url) as session:
        return set(session.scalars(sa.select(InstanceMapping.instance_uuid).where(
            InstanceMapping.instance_uuid.in_(instance_uuids))))


def add_mappings(api_url: str, mappings: list[Mapping]) -> list[str]:
    """Insert the mappings that do not exist yet; the uuids actually inserted.

    ``created_at`` is taken from each Mapping, so a backfilled server sorts where its
    cell row does. The unique key on the uuid guards against a racing writer (the API,
    another backfill): if the batch hits it, each mapping is retried on its own and the
    ones that exist by then are skipped.
    """
    rows = [dict(instance_uuid=m.instance_uuid, cell_id=m.cell_id, project_id=m.project_id,
                 user_id=m.user_id, queued_for_delete=m.queued_for_delete,
                 created_at=m.created_at) for m in mappings]
    if not rows:
        return []
    try:
        with session_for(api_url) as session:
            session.execute(sa.insert(InstanceMapping), rows)
        return [row["instance_uuid"] for row in rows]
    except sa.exc.IntegrityError:
        pass
    inserted = []
    for row in rows:
        try:
            with session_for(api_url) as session:
                session.execute(sa.insert(InstanceMapping), [row])
            inserted.append(row["instance_uuid"])
        except sa.exc.IntegrityError:
            continue
    return inserted


def update_build(api_url: str, instance_uuid: str, **fields: Any) -> bool:
    """Change fields of a build request's instance snapshot (a rename while building).

    False means there was no build request: a superconductor placed it meanwhile.
    """
    with session_for(api_url) as session:
        build = session.scalars(sa.select(BuildRequest).where(
            BuildRequest.instance_uuid == instance_uuid).with_for_update()).first()
        if build is None:
            return False
        build.instance = {**build.instance, **fields}
        return True


@dataclasses.dataclass(frozen=True)
class NewBuild:
    """One server of a create request: its uuid, build request body and request spec."""

    instance_uuid: str
    instance: dict[str, Any]
    spec: dict[str, Any]


def create_builds(api_url: str, project_id: str, user_id: str,
                  builds: list[NewBuild]) -> datetime.datetime:
    """Record every server of a multiple create in one transaction: all or none."""
    created_at = utcnow()
    with session_for(api_url) as session:
        for build in builds:
            session.add_all([
                RequestSpec(instance_uuid=build.instance_uuid, spec=build.spec,
                            created_at=created_at),
                BuildRequest(instance_uuid=build.instance_uuid, project_id=project_id,
                             user_id=user_id, instance=build.instance,
                             created_at=created_at),
                InstanceMapping(instance_uuid=build.instance_uuid, project_id=project_id,
                                user_id=user_id, created_at=created_at),
            ])
    return created_at


def cancel_builds(api_url: str, instance_uuids: list[str]) -> list[str]:
    """Take back servers still being built (see ``cancel_build``), in one transaction;
    those a superconductor placed already are left alone. The ones taken back."""
    with session_for(api_url) as session:
        cancelled = [uuid for uuid in instance_uuids if session.execute(
            sa.delete(BuildRequest).where(BuildRequest.instance_uuid == uuid)).rowcount == 1]
        for uuid in cancelled:
            _forget(session, uuid)
    return cancelled
