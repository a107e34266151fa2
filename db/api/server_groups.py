"""Server groups and their members (API DB)."""

from __future__ import annotations

import dataclasses
import datetime
import uuid as uuidlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc

from db import errors
from db.api.models import ServerGroup, ServerGroupMember
from db.engine import session_for


@dataclasses.dataclass(frozen=True)
class GroupRecord:
    """A server group with its members' uuids, detached from any session."""

    uuid: str
    name: str
    project_id: str
    user_id: str
    policy: str
    rules: dict[str, Any]
    members: list[str]
    created_at: datetime.datetime


def _members(session, group_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {gid: [] for gid in group_ids}
    if group_ids:
        rows = session.execute(sa.select(ServerGroupMember.group_id,
                                         ServerGroupMember.instance_uuid)
                               .where(ServerGroupMember.group_id.in_(group_ids))
                               .order_by(ServerGroupMember.id)).all()
        for gid, uuid in rows:
            found[gid].append(uuid)
    return found


def _record(row: ServerGroup, members: list[str]) -> GroupRecord:
    return GroupRecord(row.uuid, row.name, row.project_id, row.user_id, row.policy,
                       dict(row.rules or {}), members, row.created_at)


def create(api_url: str, name: str, project_id: str, user_id: str, policy: str,
           rules: dict[str, Any] | None = None, limit: int | None = None) -> GroupRecord:
    """Add a group. With ``limit``, Conflict if the project would have more groups."""
    with session_for(api_url) as session:
        if limit is not None and limit >= 0:
            owned = session.scalars(sa.select(ServerGroup.id).where(
                ServerGroup.project_id == project_id).with_for_update()).all()
            if len(owned) + 1 > limit:
                raise errors.Conflict(f"project {project_id} has {len(owned)} groups")
        row = ServerGroup(uuid=str(uuidlib.uuid4()), name=name, project_id=project_id,
                          user_id=user_id, policy=policy, rules=rules or {})
        session.add(row)
        session.flush()
        return _record(row, [])


def get(api_url: str, group_uuid: str) -> GroupRecord:
    """The group ``group_uuid``; NotFound otherwise."""
    with session_for(api_url) as session:
        row = session.scalars(sa.select(ServerGroup).where(
            ServerGroup.uuid == group_uuid)).first()
        if row is None:
            raise errors.NotFound(f"Instance group {group_uuid} could not be found.")
        return _record(row, _members(session, [row.id])[row.id])


def list_groups(api_url: str, project_id: str | None, limit: int | None = None,
                offset: int = 0) -> list[GroupRecord]:
    """Groups of one project (every project's if None), oldest first."""
    query = sa.select(ServerGroup).order_by(ServerGroup.id).offset(offset)
    if project_id is not None:
        query = query.where(ServerGroup.project_id == project_id)
    if limit is not None:
        query = query.limit(limit)
    with session_for(api_url) as session:
        rows = session.scalars(query).all()
        members = _members(session, [row.id for row in rows])
        return [_record(row, members[row.id]) for row in rows]


def count_for_project(api_url: str, project_id: str) -> int:
    """How many groups the project has."""
    with session_for(api_url) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(ServerGroup).where(
            ServerGroup.project_id == project_id))


def delete(api_url: str, group_uuid: str) -> None:
    """Remove a group and its memberships; NotFound if there is none."""
    with session_for(api_url) as session:
        group_id = session.scalar(sa.select(ServerGroup.id).where(
            ServerGroup.uuid == group_uuid))
        if group_id is None:
            raise errors.NotFound(f"Instance group {group_uuid} could not be found.")
        session.execute(sa.delete(ServerGroupMember).where(
            ServerGroupMember.group_id == group_id))
        session.execute(sa.delete(ServerGroup).where(ServerGroup.id == group_id))


def add_member(api_url: str, group_uuid: str, instance_uuid: str,
               limit: int | None = None) -> None:
    """Put a server in a group, under a lock on the group's row.

    NotFound if the group is gone; Conflict if it already holds ``limit`` members.
    """
    with session_for(api_url) as session:
        group_id = session.scalar(sa.select(ServerGroup.id).where(
            ServerGroup.uuid == group_uuid).with_for_update())
        if group_id is None:
            raise errors.NotFound(f"Instance group {group_uuid} could not be found.")
        if limit is not None and limit >= 0:
            count = session.scalar(sa.select(sa.func.count()).select_from(
                ServerGroupMember).where(ServerGroupMember.group_id == group_id))
            if count + 1 > limit:
                raise errors.Conflict(f"group {group_uuid} has {count} members")
        try:
            with session.begin_nested():
                session.add(ServerGroupMember(group_id=group_id, instance_uuid=instance_uuid))
        except exc.IntegrityError:
            pass  # already a member


def remove_member(api_url: str, instance_uuid: str) -> None:
    """Take a server out of every group (it was deleted)."""
    with session_for(api_url) as session:
        session.execute(sa.delete(ServerGroupMember).where(
            ServerGroupMember.instance_uuid == instance_uuid))


def groups_of(api_url: str, instance_uuids: list[str]) -> dict[str, list[str]]:
    """The uuids of the groups each listed server belongs to."""
    if not instance_uuids:
        return {}
    with session_for(api_url) as session:
        rows = session.execute(
            sa.select(ServerGroupMember.instance_uuid, ServerGroup.uuid)
            .join(ServerGroup, ServerGroup.id == ServerGroupMember.group_id)
            .where(ServerGroupMember.instance_uuid.in_(instance_uuids))).all()
    found: dict[str, list[str]] = {}
    for instance_uuid, group_uuid in rows:
        found.setdefault(instance_uuid, []).append(group_uuid)
    return found
