"""Instances, their faults and their actions in a cell database."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc

from db import errors
from db.base import utcnow
from db.cell.models import Instance, InstanceAction, InstanceActionEvent, InstanceFault, Tag
from db.engine import session_for

ANY = object()


def create(cell_url: str, **fields: Any) -> Instance:
    """Insert an instance; if one with that uuid exists (a redelivered build), return it."""
    try:
        with session_for(cell_url) as session:
            row = Instance(**fields)
            session.add(row)
            session.flush()
            return row
    except exc.IntegrityError:
        return get(cell_url, fields["uuid"], read_deleted=True)


def get(cell_url: str, uuid: str, read_deleted: bool = False) -> Instance:
    """The instance ``uuid``; NotFound if absent (or soft-deleted, unless asked)."""
    query = sa.select(Instance).where(Instance.uuid == uuid)
    if not read_deleted:
        query = query.where(Instance.deleted == 0)
    with session_for(cell_url) as session:
        row = session.scalars(query).first()
    if row is None:
        raise errors.NotFound(f"instance {uuid} could not be found")
    return row


def get_many(cell_url: str, uuids: Iterable[str]) -> dict[str, Instance]:
    """The live instances among ``uuids``, by uuid."""
    wanted = list(uuids)
    if not wanted:
        return {}
    with session_for(cell_url) as session:
        rows = session.scalars(sa.select(Instance).where(
            Instance.uuid.in_(wanted), Instance.deleted == 0)).all()
    return {row.uuid: row for row in rows}


def list_on_host(cell_url: str, host: str) -> list[Instance]:
    """The live instances placed on ``host``."""
    with session_for(cell_url) as session:
        return list(session.scalars(sa.select(Instance).where(
            Instance.host == host, Instance.deleted == 0)))


def update(cell_url: str, uuid: str, expected_task_state: Any = ANY,
           expected_vm_states: Iterable[str] | None = None, unless_locked: bool = False,
           **values: Any) -> None:
    """Change a live instance, optionally only from the expected task/vm state (and,
    with ``unless_locked``, only if it is not locked).

    The expectation is part of the UPDATE, so two racing writers cannot both win:
    the loser gets Conflict (NotFound if the instance is gone).
    """
    query = sa.update(Instance).where(Instance.uuid == uuid, Instance.deleted == 0)
    if expected_task_state is not ANY:
        query = query.where(Instance.task_state.is_(None) if expected_task_state is None
                            else Instance.task_state == expected_task_state)
    if expected_vm_states is not None:
        query = query.where(Instance.vm_state.in_(list(expected_vm_states)))
    if unless_locked:
        query = query.where(Instance.locked.is_(False))
    with session_for(cell_url) as session:
        if session.execute(query.values(**values)).rowcount == 1:
            return
        current = session.scalars(sa.select(Instance).where(
            Instance.uuid == uuid, Instance.deleted == 0)).first()
    if current is None:
        raise errors.NotFound(f"instance {uuid} could not be found")
    raise errors.Conflict(f"instance {uuid} is in vm_state {current.vm_state}, "
                          f"task_state {current.task_state}")


def soft_delete(cell_url: str, uuid: str) -> None:
    """Mark the instance deleted (it keeps its row, actions and faults)."""
    now = utcnow()
    with session_for(cell_url) as session:
        session.execute(sa.update(Instance).where(Instance.uuid == uuid, Instance.deleted == 0)
                        .values(deleted=Instance.id, deleted_at=now, terminated_at=now,
                                vm_state="deleted", task_state=None, power_state=0))


def purge(cell_url: str, uuid: str) -> None:
    """Remove every row of the instance (a build cancelled before it ran)."""
    with session_for(cell_url) as session:
        session.execute(sa.delete(InstanceFault).where(InstanceFault.instance_uuid == uuid))
        session.execute(sa.delete(InstanceAction).where(InstanceAction.instance_uuid == uuid))
        session.execute(sa.delete(Instance).where(Instance.uuid == uuid))


def add_fault(cell_url: str, uuid: str, code: int, message: str,
              details: str | None = None) -> None:
    """Record why the instance failed."""
    with session_for(cell_url) as session:
        session.add(InstanceFault(instance_uuid=uuid, code=code, message=message[:255],
                                  details=details))


def latest_faults(cell_url: str, uuids: Iterable[str]) -> dict[str, InstanceFault]:
    """The newest fault of each listed instance that has one."""
    wanted = list(uuids)
    if not wanted:
        return {}
    with session_for(cell_url) as session:
        rows = session.scalars(sa.select(InstanceFault)
                               .where(InstanceFault.instance_uuid.in_(wanted))
                               .order_by(InstanceFault.id)).all()
    return {row.instance_uuid: row for row in rows}


def start_action(cell_url: str, uuid: str, action: str, request_id: str,
                 user_id: str | None, project_id: str | None) -> None:
    """Record that a user started ``action``; idempotent per request."""
    try:
        with session_for(cell_url) as session:
            session.add(InstanceAction(instance_uuid=uuid, action=action, request_id=request_id,
                                       user_id=user_id, project_id=project_id))
    except exc.IntegrityError:
        pass


def record_event(cell_url: str, uuid: str, request_id: str, event: str, host: str | None,
                 result: str, traceback: str | None = None) -> None:
    """Add a finished event to the action of ``request_id`` (if that action exists)."""
    now = utcnow()
    with session_for(cell_url) as session:
        action = session.scalars(sa.select(InstanceAction).where(
            InstanceAction.instance_uuid == uuid, InstanceAction.request_id == request_id)
        ).first()
        if action is None:
            return
        action.events.append(InstanceActionEvent(event=event, host=host, start_time=now,
                                                 finish_time=now, result=result,
                                                 traceback=traceback))
        action.finish_time = now
        if result != "Success":
            action.message = "Error"


def copy_history(source_url: str, target_url: str, uuid: str) -> None:
    """Make the target cell's actions, events and faults of ``uuid`` those of the source.

    What the target held of the instance before is replaced, in one transaction, so a
    repeated copy (a redelivered move) leaves one copy.
    """
    with session_for(source_url) as session:
        actions = [(_columns(action), [_columns(event) for event in action.events])
                   for action in session.scalars(sa.select(InstanceAction).where(
                       InstanceAction.instance_uuid == uuid).order_by(InstanceAction.id))]
        faults = [_columns(fault) for fault in session.scalars(sa.select(InstanceFault).where(
            InstanceFault.instance_uuid == uuid).order_by(InstanceFault.id))]
    with session_for(target_url) as session:
        session.execute(sa.delete(InstanceFault).where(InstanceFault.instance_uuid == uuid))
        session.execute(sa.delete(InstanceAction).where(InstanceAction.instance_uuid == uuid))
        for values, events in actions:
            session.add(InstanceAction(**values, events=[
                InstanceActionEvent(**{k: v for k, v in event.items() if k != "action_id"})
                for event in events]))
        session.add_all(InstanceFault(**values) for values in faults)


def _columns(row: Any) -> dict[str, Any]:
    """A row's column values without its primary key (the copy gets its own)."""
    return {column.key: getattr(row, column.key) for column in row.__table__.columns
            if column.key != "id"}


def live_page_by_uuid(cell_url: str, after: str | None, limit: int) -> list[Instance]:
    """Up to ``limit`` live instances with a uuid above ``after``, by uuid.

    Walking a cell in uuid order, one page at a time, never skips or repeats a row
    while other writers add instances meanwhile.
    """
    query = sa.select(Instance).where(Instance.deleted == 0)
    if after is not None:
        query = query.where(Instance.uuid > after)
    with session_for(cell_url) as session:
        return list(session.scalars(query.order_by(Instance.uuid).limit(limit)))


def newest(cell_url: str, limit: int) -> list[Instance]:
    """The ``limit`` newest live instances (created_at desc, uuid desc)."""
    with session_for(cell_url) as session:
        return list(session.scalars(
            sa.select(Instance).where(Instance.deleted == 0)
            .order_by(Instance.created_at.desc(), Instance.uuid.desc()).limit(limit)))


@dataclasses.dataclass(frozen=True)
class Shown:
    """What the API shows of some instances: rows, newest fault of each, tags."""

    rows: dict[str, Instance]
    faults: dict[str, InstanceFault]
    tags: dict[str, list[str]]


def read_shown(cell_url: str, uuids: Iterable[str], error_state: str) -> Shown:
    """The live instances among ``uuids`` with the newest fault of those in
    ``error_state`` and every instance's tags, through one connection (a list asks
    every cell for its share of a page: one pool checkout each, not three).
    """
    wanted = list(uuids)
    if not wanted:
        return Shown({}, {}, {})
    with session_for(cell_url) as session:
        rows = {row.uuid: row for row in session.scalars(sa.select(Instance).where(
            Instance.uuid.in_(wanted), Instance.deleted == 0))}
        failed = [uuid for uuid, row in rows.items() if row.vm_state == error_state]
        faults = {} if not failed else {
            fault.instance_uuid: fault for fault in session.scalars(
                sa.select(InstanceFault).where(InstanceFault.instance_uuid.in_(failed))
                .order_by(InstanceFault.id))}
        tags: dict[str, list[str]] = {uuid: [] for uuid in rows}
        if rows:
            for uuid, tag in session.execute(sa.select(Tag.instance_uuid, Tag.tag).where(
                    Tag.instance_uuid.in_(list(rows))).order_by(Tag.tag)):
                tags[uuid].append(tag)
    return Shown(rows, faults, tags)
