"""Usages of providers and of projects."""

from __future__ import annotations

import sqlalchemy as sa

from placement.objects import resource_class
from placement.objects.base import (
    ALLOC,
    CONSUMER,
    CONSUMER_TYPE,
    INV,
    PROJECT,
    USER,
    provider_row,
    transaction,
)

UNKNOWN_TYPE = "unknown"


def provider_usages(url: str, uuid: str) -> tuple[int, dict[str, int]]:
    """The provider's generation and its usage of every class it has inventory of."""
    with transaction(url) as conn:
        row = provider_row(conn, uuid)
        names = resource_class.id_to_name(conn)
        used = dict(conn.execute(
            sa.select(ALLOC.c.resource_class_id, sa.func.sum(ALLOC.c.used))
            .where(ALLOC.c.resource_provider_id == row.id)
            .group_by(ALLOC.c.resource_class_id)).all())
        inventoried = conn.execute(sa.select(INV.c.resource_class_id)
                                   .where(INV.c.resource_provider_id == row.id)).scalars()
        classes = set(inventoried) | set(used)
    return row.generation, {names[rc]: int(used.get(rc) or 0) for rc in classes}


def _owned_by(project_id: str, user_id: str | None) -> list:
    clauses = [CONSUMER.c.project_id == sa.select(PROJECT.c.id).where(
        PROJECT.c.external_id == project_id).scalar_subquery()]
    if user_id is not None:
        clauses.append(CONSUMER.c.user_id == sa.select(USER.c.id).where(
            USER.c.external_id == user_id).scalar_subquery())
    return clauses


def project_usages(url: str, project_id: str, user_id: str | None) -> dict[str, int]:
    """Total usage by class of the consumers of a project (and user)."""
    with transaction(url) as conn:
        names = resource_class.id_to_name(conn)
        rows = conn.execute(
            sa.select(ALLOC.c.resource_class_id, sa.func.sum(ALLOC.c.used))
            .join(CONSUMER, CONSUMER.c.uuid == ALLOC.c.consumer_id)
            .where(*_owned_by(project_id, user_id))
            .group_by(ALLOC.c.resource_class_id)).all()
    return {names[rc]: int(used) for rc, used in rows}


def project_usages_by_type(url: str, project_id: str, user_id: str | None,
                           consumer_type: str | None) -> dict[str, dict[str, int]]:
    """Usage by consumer type (1.38): {type: {"consumer_count": n, class: used}}.

    ``consumer_type`` None or "all" covers every type; "unknown" the untyped.
    """
    type_name = sa.func.coalesce(CONSUMER_TYPE.c.name, UNKNOWN_TYPE)
    clauses = _owned_by(project_id, user_id)
    if consumer_type not in (None, "all"):
        clauses.append(type_name == consumer_type)
    base = (sa.select(type_name.label("type"))
            .select_from(CONSUMER)
            .outerjoin(CONSUMER_TYPE, CONSUMER_TYPE.c.id == CONSUMER.c.consumer_type_id)
            .where(*clauses))
    with transaction(url) as conn:
        names = resource_class.id_to_name(conn)
        counts = conn.execute(base.add_columns(sa.func.count(CONSUMER.c.id))
                              .group_by(type_name)).all()
        used = conn.execute(
            base.add_columns(ALLOC.c.resource_class_id, sa.func.sum(ALLOC.c.used))
            .join(ALLOC, ALLOC.c.consumer_id == CONSUMER.c.uuid)
            .group_by(type_name, ALLOC.c.resource_class_id)).all()
    result: dict[str, dict[str, int]] = {t: {"consumer_count": n} for t, n in counts}
    for t, rc, amount in used:
        result[t][names[rc]] = int(amount)
    if consumer_type == "all":
        return {"all": _merged(result)}
    return result


def _merged(by_type: dict[str, dict[str, int]]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for usage in by_type.values():
        for key, value in usage.items():
            merged[key] = merged.get(key, 0) + value
    return merged or {"consumer_count": 0}
