"""Aggregate membership of providers."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from db.base import utcnow
from placement import errors
from placement.objects.base import (
    AGG,
    RP_AGG,
    bump_generation,
    provider_row,
    record_changes,
    replace_links,
    transaction,
)


def _aggregates(conn: sa.Connection, provider_id: int) -> list[str]:
    return list(conn.execute(
        sa.select(AGG.c.uuid).join(RP_AGG, RP_AGG.c.aggregate_id == AGG.c.id)
        .where(RP_AGG.c.resource_provider_id == provider_id).order_by(AGG.c.uuid)).scalars())


def get_aggregates(url: str, uuid: str) -> tuple[int, list[str]]:
    """The provider's generation and aggregate uuids."""
    with transaction(url) as conn:
        row = provider_row(conn, uuid)
        return row.generation, _aggregates(conn, row.id)


def set_aggregates(url: str, uuid: str, aggregates: list[str],
                   generation: int | None) -> tuple[int, list[str]]:
    """Replace the provider's aggregates.

    With a ``generation`` (1.19 on) it is checked and the provider's generation
    bumped; before 1.19 the membership changes without touching the generation.
    """
    try:
        with transaction(url) as conn:
            row = provider_row(conn, uuid)
            if generation is not None and generation != row.generation:
                raise errors.ConcurrentUpdate(
                    f"resource provider generation conflict: expected {generation}, "
                    f"found {row.generation}")
            new_generation = row.generation
            if generation is not None:
                # The generation first: its row lock keeps other writers of
                # this provider out while the links change.
                new_generation = bump_generation(conn, row.id, row.generation)
            else:
                record_changes(conn, [row.id])
            replace_links(conn, RP_AGG, "aggregate_id", row.id, set(_ensure(conn, set(aggregates))))
            return new_generation, _aggregates(conn, row.id)
    except sa_exc.IntegrityError:
        # Another request created one of the aggregates at the same moment.
        raise errors.ConcurrentUpdate(
            "Update conflict: another request changed aggregates, please retry") from None


def _ensure(conn: sa.Connection, uuids: set[str]) -> list[int]:
    """Ids of the aggregates ``uuids``, creating the missing ones."""
    if not uuids:
        return []
    found = dict(conn.execute(sa.select(AGG.c.uuid, AGG.c.id)
                              .where(AGG.c.uuid.in_(sorted(uuids)))).all())
    missing = sorted(uuids - set(found))
    if missing:
        now = utcnow()
        conn.execute(sa.insert(AGG), [{"uuid": u, "created_at": now} for u in missing])
        found = dict(conn.execute(sa.select(AGG.c.uuid, AGG.c.id)
                                  .where(AGG.c.uuid.in_(sorted(uuids)))).all())
    return list(found.values())


def aggregates_of(conn: sa.Connection, provider_ids: list[int]) -> dict[int, set[str]]:
    """Aggregate uuids of each of ``provider_ids``."""
    result: dict[int, set[str]] = {pid: set() for pid in provider_ids}
    if not provider_ids:
        return result
    rows = conn.execute(
        sa.select(RP_AGG.c.resource_provider_id, AGG.c.uuid)
        .join(AGG, AGG.c.id == RP_AGG.c.aggregate_id)
        .where(RP_AGG.c.resource_provider_id.in_(sorted(set(provider_ids))))).all()
    for pid, agg in rows:
        result[pid].add(agg)
    return result
