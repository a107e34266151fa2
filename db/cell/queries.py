"""Filtered server lists in one cell: the candidates of a page, newest first."""

from __future__ import annotations

import datetime

import sqlalchemy as sa

from db.cell.models import Instance, Tag
from db.engine import session_for


def _has(tag: str):
    return sa.exists().where(Tag.instance_uuid == Instance.uuid, Tag.tag == tag)


def _has_any(tags: list[str]):
    return sa.exists().where(Tag.instance_uuid == Instance.uuid, Tag.tag.in_(tags))


def page(cell_url: str, limit: int, project_id: str | None = None,
         states: list[tuple[str, str | None]] | None = None,
         tags: list[str] | None = None, tags_any: list[str] | None = None,
         not_tags: list[str] | None = None, not_tags_any: list[str] | None = None,
         before: tuple[datetime.datetime, str] | None = None
         ) -> list[tuple[datetime.datetime, str]]:
    """(created_at, uuid) of up to ``limit`` live instances matching every filter.

    ``states`` lists (vm_state, task_state) pairs, a task_state of "*" meaning any.
    ``before`` is the (created_at, uuid) of the marker: only older ones are returned.
    """
    query = sa.select(Instance.created_at, Instance.uuid).where(Instance.deleted == 0)
    if project_id is not None:
        query = query.where(Instance.project_id == project_id)
    if states is not None:
        if not states:
            return []
        query = query.where(sa.or_(*[
            Instance.vm_state == vm if task == "*" else sa.and_(
                Instance.vm_state == vm,
                Instance.task_state.is_(None) if task is None else Instance.task_state == task)
            for vm, task in states]))
    for tag in tags or []:
        query = query.where(_has(tag))
    if tags_any:
        query = query.where(_has_any(tags_any))
    if not_tags:
        query = query.where(sa.not_(sa.and_(*[_has(tag) for tag in not_tags])))
    if not_tags_any:
        query = query.where(sa.not_(_has_any(not_tags_any)))
    if before is not None:
        moment, uuid = before
        query = query.where(sa.or_(Instance.created_at < moment, sa.and_(
            Instance.created_at == moment, Instance.uuid < uuid)))
    query = query.order_by(Instance.created_at.desc(), Instance.uuid.desc()).limit(limit)
    with session_for(cell_url) as session:
        return [(row.created_at, row.uuid) for row in session.execute(query)]
