"""Filtered and sorted server lists in one cell: the candidates of a page.

A page is ordered by ``sort``, a list of (column, "asc" | "desc") ending with the
uuid, and starts after a keyset position (the marker's values of those columns).
NULL sorts before every value, as both MariaDB and SQLite do for ``ORDER BY``.
Strings are compared by code point (a binary collation), so that the cells' order is
the order the API merges their answers in.
"""

from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa

from db.cell.models import Instance, Tag
from db.engine import session_for

DEFAULT_SORT = (("created_at", "desc"), ("uuid", "desc"))
# Columns a list may be sorted by.
SORTABLE = frozenset({
    "created_at", "display_name", "uuid", "vm_state", "task_state", "power_state",
    "updated_at", "launched_at", "terminated_at", "host", "node", "availability_zone",
    "user_id", "project_id", "image_ref", "locked", "locked_by", "key_name", "hostname",
    "display_description", "access_ip_v4", "access_ip_v6", "config_drive", "progress"})
_STRINGS = frozenset({"display_name", "uuid", "vm_state", "task_state", "host", "node",
                      "availability_zone", "user_id", "project_id", "image_ref",
                      "locked_by", "key_name", "hostname", "display_description",
                      "access_ip_v4", "access_ip_v6", "config_drive"})
_BINARY_COLLATION = {"mysql": "utf8mb4_bin", "mariadb": "utf8mb4_bin", "sqlite": "BINARY"}


def _has(tag: str):
    return sa.exists().where(Tag.instance_uuid == Instance.uuid, Tag.tag == tag)


def _has_any(tags: list[str]):
    return sa.exists().where(Tag.instance_uuid == Instance.uuid, Tag.tag.in_(tags))


def _column(name: str, dialect: str):
    column = getattr(Instance, name)
    if name in _STRINGS and dialect in _BINARY_COLLATION:
        return sa.collate(column, _BINARY_COLLATION[dialect])
    return column


def _after(sort: list[tuple[str, str]], values: dict[str, Any], dialect: str):
    """Rows strictly after ``values`` in the order of ``sort`` (NULL smallest)."""
    clauses = []
    equal_so_far: list = []
    for name, direction in sort:
        column, value = _column(name, dialect), values[name]
        if direction == "asc":
            beyond = column.is_not(None) if value is None else column > value
        else:
            beyond = sa.false() if value is None else sa.or_(column < value,
                                                               column.is_(None))
        clauses.append(sa.and_(*equal_so_far, beyond))
        equal_so_far.append(column.is_(None) if value is None else column == value)
    return sa.or_(*clauses)


def page(cell_url: str, limit: int | None, project_id: str | None = None,
         states: list[tuple[str, str | None]] | None = None,
         tags: list[str] | None = None, tags_any: list[str] | None = None,
         not_tags: list[str] | None = None, not_tags_any: list[str] | None = None,
         changed_since: datetime.datetime | None = None,
         changed_before: datetime.datetime | None = None,
         exact: dict[str, Any] | None = None, flavor_id: str | None = None,
         sort: list[tuple[str, str]] | tuple = DEFAULT_SORT,
         after: dict[str, Any] | None = None, columns: tuple[str, ...] = ()
         ) -> list[dict[str, Any]]:
    """Up to ``limit`` live instances matching every filter, in the order of ``sort``,
    each as a dict of its sort columns and ``columns``.

    ``states`` lists (vm_state, task_state) pairs, a task_state of "*" meaning any.
    ``after`` holds the marker's values of the sort columns: only rows after it are
    returned. ``changed_since``/``changed_before`` bound the last change (updated_at,
    or created_at for an instance never updated), both inclusive. ``exact`` maps
    instance columns to the value each must have; ``flavor_id`` is the flavor's id in
    the instance's flavor copy.
    """
    sort = list(sort)
    wanted = list(dict.fromkeys([name for name, _d in sort] + list(columns)))
    query = sa.select(*[getattr(Instance, name) for name in wanted]).where(
        Instance.deleted == 0)
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
    for column, value in (exact or {}).items():
        query = query.where(getattr(Instance, column) == value)
    if flavor_id is not None:
        query = query.where(Instance.flavor["id"].as_string() == flavor_id)
    changed = sa.func.coalesce(Instance.updated_at, Instance.created_at)
    if changed_since is not None:
        query = query.where(changed >= changed_since)
    if changed_before is not None:
        query = query.where(changed <= changed_before)
    with session_for(cell_url) as session:
        dialect = session.get_bind().dialect.name
        if after is not None:
            query = query.where(_after(sort, after, dialect))
        query = query.order_by(*[
            _column(name, dialect).asc() if direction == "asc"
            else _column(name, dialect).desc() for name, direction in sort]).limit(limit)
        return [dict(row._mapping) for row in session.execute(query)]


def values_of(cell_url: str, instance_uuid: str, names: list[str]) -> dict[str, Any] | None:
    """The values of columns ``names`` of one live instance; None if it has none here."""
    query = sa.select(*[getattr(Instance, name) for name in names]).where(
        Instance.uuid == instance_uuid, Instance.deleted == 0)
    with session_for(cell_url) as session:
        row = session.execute(query).first()
        return None if row is None else dict(row._mapping)
