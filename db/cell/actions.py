"""Reading instance actions and their events from a cell database."""

from __future__ import annotations

import dataclasses
import datetime

import sqlalchemy as sa

from db import errors
from db.cell.models import InstanceAction, InstanceActionEvent
from db.engine import session_for


@dataclasses.dataclass(frozen=True)
class Event:
    event: str
    host: str | None
    start_time: datetime.datetime
    finish_time: datetime.datetime | None
    result: str | None
    traceback: str | None


@dataclasses.dataclass(frozen=True)
class Action:
    instance_uuid: str
    action: str
    request_id: str
    user_id: str | None
    project_id: str | None
    start_time: datetime.datetime
    finish_time: datetime.datetime | None
    message: str | None
    updated_at: datetime.datetime
    events: list[Event]


def _action(row: InstanceAction) -> Action:
    events = sorted((Event(e.event, e.host, e.start_time, e.finish_time, e.result,
                           e.traceback) for e in row.events),
                    key=lambda e: e.start_time, reverse=True)
    moments = [row.start_time, row.finish_time or row.start_time]
    moments += [m for e in events for m in (e.start_time, e.finish_time) if m is not None]
    return Action(row.instance_uuid, row.action, row.request_id, row.user_id,
                  row.project_id, row.start_time, row.finish_time, row.message,
                  max(moments), events)


def list_for(cell_url: str, uuid: str) -> list[Action]:
    """Every action of the instance, newest first (deleted instances included)."""
    with session_for(cell_url) as session:
        rows = session.scalars(sa.select(InstanceAction)
                               .where(InstanceAction.instance_uuid == uuid)
                               .order_by(InstanceAction.start_time.desc(),
                                         InstanceAction.id.desc())).all()
        return [_action(row) for row in rows]


def get(cell_url: str, uuid: str, request_id: str) -> Action:
    """The instance's action of ``request_id``; NotFound otherwise."""
    with session_for(cell_url) as session:
        row = session.scalars(sa.select(InstanceAction).where(
            InstanceAction.instance_uuid == uuid,
            InstanceAction.request_id == request_id)
            .order_by(InstanceAction.id.desc())).first()
        if row is None:
            raise errors.NotFound(f"Action for request_id {request_id} on instance {uuid} "
                                  "not found")
        return _action(row)


def add_event(cell_url: str, uuid: str, request_id: str, event: InstanceActionEvent) -> None:
    """Attach an event to an action (used by tests and tools)."""
    with session_for(cell_url) as session:
        row = session.scalars(sa.select(InstanceAction).where(
            InstanceAction.instance_uuid == uuid,
            InstanceAction.request_id == request_id)).first()
        if row is None:
            raise errors.NotFound(f"no action {request_id} on {uuid}")
        row.events.append(event)
