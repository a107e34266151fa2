"""Allocations and consumers, and the race-safe claim.

Every write of allocations increments the generation of each provider it touches
with a compare-and-swap (``UPDATE ... WHERE generation = :seen``) in the same
transaction that checked capacity. A writer that lost the race sees zero rows
updated, rolls back and starts again from fresh reads, so no interleaving can
push usage past capacity.
"""

from __future__ import annotations

import collections
import dataclasses

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from db.base import utcnow
from placement import errors
from placement.objects import resource_class
from placement.objects.base import (
    ALLOC,
    CONSUMER,
    CONSUMER_TYPE,
    INV,
    PROJECT,
    RP,
    USER,
    record_changes,
    run_with_retries,
    transaction,
)

# A consumer generation the request does not check (microversions before 1.28).
UNCHECKED = object()
# Owner recorded for consumers written before 1.8 without project and user.
INCOMPLETE_CONSUMER_ID = "00000000-0000-0000-0000-000000000000"


@dataclasses.dataclass
class ConsumerAllocations:
    """What one consumer should hold after a write: {provider uuid: {class: amount}}."""

    consumer_uuid: str
    allocations: dict[str, dict[str, int]]
    project_id: str | None = None
    user_id: str | None = None
    generation: object = UNCHECKED
    consumer_type: str | None = None


def replace(url: str, items: list[ConsumerAllocations], attempts: int) -> None:
    """Atomically replace the allocations of every consumer in ``items``."""
    run_with_retries(url, lambda conn: replace_in(conn, items), attempts,
                     "Unable to allocate: another process changed the resource providers "
                     "concurrently, please retry.")


def replace_in(conn: sa.Connection, items: list[ConsumerAllocations]) -> None:
    """Replace the consumers' allocations inside ``conn``'s transaction.

    The hot path of every claim, so it keeps to few statements: one read of the
    providers with their inventory, generation and others' usage (one snapshot),
    one of the consumers, a compare-and-swap per provider, the inserts.
    """
    rc_ids = _class_ids(conn, {rc for item in items for res in item.allocations.values()
                               for rc in res})
    consumer_uuids = [item.consumer_uuid for item in items]
    providers, inventories, others = _provider_state(
        conn, {rp for item in items for rp in item.allocations}, consumer_uuids)
    consumers = _consumers(conn, consumer_uuids)
    for item in items:
        _check_consumer_generation(item, consumers.get(item.consumer_uuid))
    # Providers the consumers leave also get a new generation, from the same snapshot.
    old: dict[int, int] = {}
    if consumers:
        old = dict(conn.execute(
            sa.select(RP.c.id, RP.c.generation)
            .where(RP.c.id.in_(sa.select(ALLOC.c.resource_provider_id)
                               .where(ALLOC.c.consumer_id.in_(consumer_uuids))))).all())
    wanted = _wanted(items, providers, rc_ids)
    generations = {**old, **{p.id: p.generation for p in providers.values()}}
    _bump_providers(conn, generations)
    _check_capacity(wanted, inventories, others, {p.id: u for u, p in providers.items()},
                    {i: n for n, i in rc_ids.items()})
    if old:
        conn.execute(sa.delete(ALLOC).where(ALLOC.c.consumer_id.in_(consumer_uuids)))
    now = utcnow()
    rows = [{"resource_provider_id": providers[rp].id, "consumer_id": item.consumer_uuid,
             "resource_class_id": rc_ids[rc], "used": amount, "created_at": now}
            for item in items for rp, res in item.allocations.items()
            for rc, amount in res.items()]
    if rows:
        conn.execute(sa.insert(ALLOC), rows)
    for item in items:
        _save_consumer(conn, item, consumers.get(item.consumer_uuid))
    record_changes(conn, generations, usage_only=True)


def _class_ids(conn: sa.Connection, names: set[str]) -> dict[str, int]:
    """Class ids; standard classes need no query."""
    standard = resource_class.STANDARD_IDS
    if all(name in standard for name in names):
        return {name: standard[name] for name in names}
    return resource_class.ids_for(conn, names)


def _provider_state(conn: sa.Connection, uuids: set[str], consumer_uuids: list[str]):
    """Providers by uuid, their inventories and what other consumers use of them.

    One statement, so generation, inventory and usage come from one snapshot.
    """
    if not uuids:
        return {}, {}, {}
    others = (sa.select(sa.func.coalesce(sa.func.sum(ALLOC.c.used), 0))
              .where(ALLOC.c.resource_provider_id == RP.c.id,
                     ALLOC.c.resource_class_id == INV.c.resource_class_id,
                     ALLOC.c.consumer_id.not_in(consumer_uuids))
              .scalar_subquery())
    rows = conn.execute(
        sa.select(RP.c.id, RP.c.uuid, RP.c.generation, INV.c.resource_class_id,
                  INV.c.total, INV.c.reserved, INV.c.min_unit, INV.c.max_unit,
                  INV.c.step_size, INV.c.allocation_ratio, others.label("others"))
        .outerjoin(INV, INV.c.resource_provider_id == RP.c.id)
        .where(RP.c.uuid.in_(sorted(uuids)))).all()
    providers = {r.uuid: r for r in rows}
    for uuid in sorted(uuids - set(providers)):
        raise errors.BadRequest(
            f"Allocation for resource provider '{uuid}' that does not exist.")
    inventories = {(r.id, r.resource_class_id): r for r in rows
                   if r.resource_class_id is not None}
    used = {key: int(r.others or 0) for key, r in inventories.items()}
    return providers, inventories, used


def _consumers(conn: sa.Connection, uuids: list[str]) -> dict[str, sa.Row]:
    rows = conn.execute(sa.select(CONSUMER).where(CONSUMER.c.uuid.in_(uuids))).all()
    return {r.uuid: r for r in rows}


def _check_consumer_generation(item: ConsumerAllocations, row: sa.Row | None) -> None:
    if item.generation is UNCHECKED:
        return
    found = row.generation if row is not None else None
    if item.generation != found:
        expected = "null" if item.generation is None else item.generation
        raise errors.ConcurrentUpdate(
            f"consumer generation conflict - expected {expected} but got "
            f"{'null' if found is None else found}")


def _wanted(items: list[ConsumerAllocations], providers: dict[str, sa.Row],
            rc_ids: dict[str, int]) -> dict[tuple[int, int], list[int]]:
    """Each requested amount, by (provider id, class id)."""
    wanted: dict[tuple[int, int], list[int]] = collections.defaultdict(list)
    for item in items:
        for rp, resources in item.allocations.items():
            for rc, amount in resources.items():
                wanted[providers[rp].id, rc_ids[rc]].append(amount)
    return wanted


def _bump_providers(conn: sa.Connection, seen: dict[int, int]) -> None:
    """Compare-and-swap every touched provider's generation, in id order.

    ``seen`` holds the generations read in this transaction's snapshot, the one
    the capacity check reads; the ordered updates avoid lock cycles.
    """
    for provider_id in sorted(seen):
        result = conn.execute(
            sa.update(RP).where(RP.c.id == provider_id, RP.c.generation == seen[provider_id])
            .values(generation=seen[provider_id] + 1))
        if result.rowcount != 1:
            raise errors.RetryableConflict()


def _check_capacity(wanted: dict[tuple[int, int], list[int]], inventories: dict,
                    others: dict[tuple[int, int], int], rp_uuids: dict[int, str],
                    rc_names: dict[int, str]) -> None:
    for key, amounts in sorted(wanted.items()):
        rp, rc = rp_uuids[key[0]], rc_names[key[1]]
        inv = inventories.get(key)
        if inv is None:
            raise errors.Conflict(
                f"Unable to allocate inventory: Inventory for '{rc}' on resource provider "
                f"'{rp}' invalid.")
        for amount in amounts:
            _check_unit(inv, amount, rc, rp)
        capacity = (inv.total - inv.reserved) * inv.allocation_ratio
        if others.get(key, 0) + sum(amounts) > capacity:
            raise errors.Conflict(
                f"Unable to allocate inventory: Unable to create allocation for '{rc}' on "
                f"resource provider '{rp}'. The requested amount would exceed the capacity.")


def _check_unit(inv: sa.Row, amount: int, rc: str, rp: str) -> None:
    if amount < inv.min_unit or amount > inv.max_unit or amount % inv.step_size:
        raise errors.BadRequest(
            f"Unable to allocate inventory for consumer: {rc} on resource provider {rp}: "
            f"amount {amount} violates min_unit {inv.min_unit}, max_unit {inv.max_unit} "
            f"or step_size {inv.step_size}.")


def _owner_ids(conn: sa.Connection, project: str, user: str,
               consumer_type: str | None) -> tuple[int | None, int | None, int | None]:
    """Ids of the project, user and consumer type (None when unknown), one query."""
    def one(table: sa.Table, column: sa.Column, value: str | None):
        if value is None:
            return sa.null()
        return sa.select(table.c.id).where(column == value).scalar_subquery()
    row = conn.execute(sa.select(one(PROJECT, PROJECT.c.external_id, project),
                                 one(USER, USER.c.external_id, user),
                                 one(CONSUMER_TYPE, CONSUMER_TYPE.c.name, consumer_type))
                       ).one()
    return row[0], row[1], row[2]


def _create(conn: sa.Connection, table: sa.Table, **values) -> int:
    """Insert a project, user or consumer type that did not exist."""
    try:
        return conn.execute(sa.insert(table).values(created_at=utcnow(), **values)
                            ).inserted_primary_key[0]
    except sa_exc.IntegrityError:
        # Created by a concurrent request; a fresh transaction will see it.
        raise errors.RetryableConflict() from None


def _save_consumer(conn: sa.Connection, item: ConsumerAllocations, row: sa.Row | None) -> None:
    """Create, update or (when it holds nothing now) delete the consumer record."""
    if not any(item.allocations.values()):
        if row is not None:
            conn.execute(sa.delete(CONSUMER).where(CONSUMER.c.id == row.id))
        return
    project = item.project_id or INCOMPLETE_CONSUMER_ID
    user = item.user_id or INCOMPLETE_CONSUMER_ID
    project_id, user_id, type_id = _owner_ids(conn, project, user, item.consumer_type)
    if project_id is None:
        project_id = _create(conn, PROJECT, external_id=project)
    if user_id is None:
        user_id = _create(conn, USER, external_id=user)
    if type_id is None and item.consumer_type is not None:
        type_id = _create(conn, CONSUMER_TYPE, name=item.consumer_type)
    values = {"project_id": project_id, "user_id": user_id}
    if item.consumer_type is not None or row is None:
        values["consumer_type_id"] = type_id
    if row is None:
        _insert_consumer(conn, item, values)
        return
    result = conn.execute(
        sa.update(CONSUMER).where(CONSUMER.c.id == row.id,
                                  CONSUMER.c.generation == row.generation)
        .values(generation=row.generation + 1, updated_at=utcnow(), **values))
    if result.rowcount != 1:
        _lost_consumer_race(item)


def _insert_consumer(conn: sa.Connection, item: ConsumerAllocations, values: dict) -> None:
    # A new consumer starts at generation 1: it has been written once.
    try:
        conn.execute(sa.insert(CONSUMER).values(uuid=item.consumer_uuid, generation=1,
                                                created_at=utcnow(), **values))
    except sa_exc.IntegrityError:
        _lost_consumer_race(item)


def _lost_consumer_race(item: ConsumerAllocations) -> None:
    if item.generation is UNCHECKED:
        raise errors.RetryableConflict()
    raise errors.ConcurrentUpdate(
        f"consumer generation conflict for {item.consumer_uuid}: another process "
        "changed the consumer, please refresh and retry")


def delete_consumer_allocations(url: str, consumer_uuid: str) -> None:
    """Remove every allocation of ``consumer_uuid``; NotFound if it has none."""
    with transaction(url) as conn:
        providers = conn.execute(sa.select(ALLOC.c.resource_provider_id).distinct()
                                 .where(ALLOC.c.consumer_id == consumer_uuid)).scalars().all()
        if not providers:
            raise errors.NotFound(f"No allocations for consumer '{consumer_uuid}'")
        conn.execute(sa.delete(ALLOC).where(ALLOC.c.consumer_id == consumer_uuid))
        # Plain increments: freeing resources cannot overcommit, but readers
        # holding the old generation must notice the change.
        conn.execute(sa.update(RP).where(RP.c.id.in_(sorted(providers)))
                     .values(generation=RP.c.generation + 1))
        record_changes(conn, providers, usage_only=True)
        conn.execute(sa.delete(CONSUMER).where(CONSUMER.c.uuid == consumer_uuid))


def get_consumer_allocations(url: str, consumer_uuid: str) -> dict:
    """The consumer's allocations by provider, with its project, user and generation."""
    with transaction(url) as conn:
        names = resource_class.id_to_name(conn)
        rows = conn.execute(
            sa.select(RP.c.uuid, RP.c.generation, ALLOC.c.resource_class_id, ALLOC.c.used,
                      ALLOC.c.updated_at, ALLOC.c.created_at)
            .join(RP, RP.c.id == ALLOC.c.resource_provider_id)
            .where(ALLOC.c.consumer_id == consumer_uuid)).all()
        consumer = conn.execute(
            sa.select(CONSUMER.c.generation, PROJECT.c.external_id.label("project"),
                      USER.c.external_id.label("user"), CONSUMER_TYPE.c.name.label("type"))
            .join(PROJECT, PROJECT.c.id == CONSUMER.c.project_id)
            .join(USER, USER.c.id == CONSUMER.c.user_id)
            .outerjoin(CONSUMER_TYPE, CONSUMER_TYPE.c.id == CONSUMER.c.consumer_type_id)
            .where(CONSUMER.c.uuid == consumer_uuid)).first()
    allocations: dict[str, dict] = {}
    for row in rows:
        entry = allocations.setdefault(row.uuid, {"generation": row.generation,
                                                  "resources": {}})
        entry["resources"][names[row.resource_class_id]] = row.used
    return {"allocations": allocations, "consumer": consumer,
            "updated_at": max((r.updated_at or r.created_at for r in rows), default=None)}


def get_provider_allocations(url: str, uuid: str) -> tuple[int, dict[str, dict]]:
    """The provider's generation and the allocations against it, by consumer."""
    with transaction(url) as conn:
        provider = conn.execute(sa.select(RP.c.id, RP.c.generation)
                                .where(RP.c.uuid == uuid)).first()
        if provider is None:
            raise errors.NotFound(f"Resource provider '{uuid}' not found.")
        names = resource_class.id_to_name(conn)
        rows = conn.execute(sa.select(ALLOC.c.consumer_id, ALLOC.c.resource_class_id,
                                      ALLOC.c.used)
                            .where(ALLOC.c.resource_provider_id == provider.id)).all()
    allocations: dict[str, dict] = {}
    for row in rows:
        entry = allocations.setdefault(row.consumer_id, {"resources": {}})
        entry["resources"][names[row.resource_class_id]] = row.used
    return provider.generation, allocations
