"""Server tags in a cell database."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy import exc

from db import errors
from db.cell.models import Instance, Tag
from db.engine import session_for


def _lock_instance(session, uuid: str) -> None:
    found = session.scalar(sa.select(Instance.id).where(
        Instance.uuid == uuid, Instance.deleted == 0).with_for_update())
    if found is None:
        raise errors.NotFound(f"instance {uuid} could not be found")


def get_all(cell_url: str, uuid: str) -> list[str]:
    """The instance's tags, sorted."""
    with session_for(cell_url) as session:
        return list(session.scalars(sa.select(Tag.tag).where(Tag.instance_uuid == uuid)
                                    .order_by(Tag.tag)))


def get_many(cell_url: str, uuids: Iterable[str]) -> dict[str, list[str]]:
    """The tags of each listed instance (every one present, maybe empty)."""
    wanted = list(uuids)
    found: dict[str, list[str]] = {uuid: [] for uuid in wanted}
    if not wanted:
        return found
    with session_for(cell_url) as session:
        for uuid, tag in session.execute(sa.select(Tag.instance_uuid, Tag.tag).where(
                Tag.instance_uuid.in_(wanted)).order_by(Tag.tag)):
            found[uuid].append(tag)
    return found


def replace(cell_url: str, uuid: str, tags: list[str]) -> list[str]:
    """Make ``tags`` the instance's only tags; NotFound if it is gone."""
    with session_for(cell_url) as session:
        _lock_instance(session, uuid)
        session.execute(sa.delete(Tag).where(Tag.instance_uuid == uuid))
        session.add_all([Tag(instance_uuid=uuid, tag=tag) for tag in dict.fromkeys(tags)])
    return sorted(set(tags))


def add(cell_url: str, uuid: str, tag: str, limit: int) -> bool:
    """Add one tag; False if it was there. Conflict if the instance has ``limit`` tags."""
    try:
        with session_for(cell_url) as session:
            _lock_instance(session, uuid)
            current = set(session.scalars(sa.select(Tag.tag).where(Tag.instance_uuid == uuid)))
            if tag in current:
                return False
            if len(current) >= limit:
                raise errors.Conflict(f"instance {uuid} has {len(current)} tags")
            session.add(Tag(instance_uuid=uuid, tag=tag))
        return True
    except exc.IntegrityError:
        return False


def has(cell_url: str, uuid: str, tag: str) -> bool:
    """Whether the instance carries ``tag``."""
    with session_for(cell_url) as session:
        return session.scalar(sa.select(Tag.tag).where(
            Tag.instance_uuid == uuid, Tag.tag == tag)) is not None


def delete(cell_url: str, uuid: str, tag: str) -> None:
    """Remove one tag; NotFound if the instance does not carry it."""
    with session_for(cell_url) as session:
        if not session.execute(sa.delete(Tag).where(
                Tag.instance_uuid == uuid, Tag.tag == tag)).rowcount:
            raise errors.NotFound(f"tag {tag} not found on instance {uuid}")


def delete_all(cell_url: str, uuid: str) -> None:
    """Remove every tag of the instance; NotFound if it is gone."""
    with session_for(cell_url) as session:
        _lock_instance(session, uuid)
        session.execute(sa.delete(Tag).where(Tag.instance_uuid == uuid))


def add_missing(cell_url: str, uuid: str, tags: Iterable[str]) -> None:
    """Give the instance each of ``tags`` it lacks (a build's tags, copied idempotently).

    A redelivered build copies the same tags again: those present are left alone, so
    nothing fails and nothing doubles.
    """
    wanted = list(dict.fromkeys(tags))
    if not wanted:
        return
    try:
        _insert_missing(cell_url, uuid, wanted)
    except exc.IntegrityError:
        # Two deliveries raced: the other one wrote some; write what is still missing.
        _insert_missing(cell_url, uuid, wanted)


def _insert_missing(cell_url: str, uuid: str, wanted: list[str]) -> None:
    with session_for(cell_url) as session:
        present = set(session.scalars(sa.select(Tag.tag).where(
            Tag.instance_uuid == uuid, Tag.tag.in_(wanted))))
        session.add_all([Tag(instance_uuid=uuid, tag=tag) for tag in wanted
                         if tag not in present])
