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
    INSERT_CHANGES,
    INV,
    PROJECT,
    RP,
    USER,
    change_rows,
    record_changes,
    run_with_retries,
    transaction,
)
from placement.objects.write_batch import GuardFailed, WriteBatch

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
    """Atomically replace the allocations of every consumer in ``items``.

    The first attempt is optimistic (read, write, compare-and-swap). One that lost
    the race to another writer of the same providers tries again with their rows
    locked first (``SELECT ... FOR UPDATE``): it then waits its turn instead of
    racing the others again, so claims piling onto one provider (schedulers that
    all pick the same first candidate) queue rather than run out of attempts.
    """
    lost = False

    def attempt(conn: sa.Connection) -> None:
        nonlocal lost
        if lost:
            _lock_providers(conn, {rp for item in items for rp in item.allocations})
        try:
            replace_in(conn, items)
        except errors.RetryableConflict:
            lost = True
            raise

    run_with_retries(url, attempt, attempts,
                     "Unable to allocate: another process changed the resource providers "
                     "concurrently, please retry.")


def _lock_providers(conn: sa.Connection, uuids: set[str]) -> None:
    """Lock the providers' rows, in id order, before anything else is read.

    A locking read does not start the transaction's snapshot: the reads that
    follow see what the previous holder of the locks committed.
    """
    if uuids:
        conn.execute(sa.select(RP.c.id).where(RP.c.uuid.in_(sorted(uuids)))
                     .order_by(RP.c.id).with_for_update()).all()


def replace_in(conn: sa.Connection, items: list[ConsumerAllocations]) -> None:
    """Replace the consumers' allocations inside ``conn``'s transaction.

    The hot path of every claim, so it keeps to two round trips: one read of
    everything it checks (providers with their inventory, generation and others'
    usage; consumers; owners: one snapshot), then every write in one batch, whose
    compare-and-swaps of the generations make a claim from a stale read fail.
    """
    rc_ids = _class_ids(conn, {rc for item in items for res in item.allocations.values()
                               for rc in res})
    state = _claim_state(conn, items)
    providers, consumers = state.providers, state.consumers
    for item in items:
        _check_consumer_generation(item, consumers.get(item.consumer_uuid))
    # Providers the consumers leave also get a new generation, from the same snapshot.
    old = state.held if consumers else {}
    wanted = _wanted(items, providers, rc_ids)
    generations = {**old, **{p.id: p.generation for p in providers.values()}}
    _check_capacity(wanted, state.inventories, state.others,
                    {p.id: u for u, p in providers.items()}, {i: n for n, i in rc_ids.items()})
    _create_owners(conn, items, state.owners)
    now = utcnow()
    batch = WriteBatch()
    # First of the writes: the rows the inserts below refer to (foreign keys take
    # shared locks on them) are then already ours, and a writer that lost the race
    # learns it before doing any work.
    for provider_id in sorted(generations):
        seen = generations[provider_id]
        batch.add(_BUMP_GENERATION, {"b_id": provider_id, "b_seen": seen, "b_new": seen + 1,
                          "b_now": now}, rows=1, guard=_PROVIDER_GUARD)
    if old:
        for item in items:
            batch.add(_DELETE_ALLOCATIONS, {"d_consumer": item.consumer_uuid})
    batch.add(INSERT_ALLOCATIONS, [
        {"resource_provider_id": providers[rp].id, "consumer_id": item.consumer_uuid,
         "resource_class_id": rc_ids[rc], "used": amount, "created_at": now}
        for item in items for rp, res in item.allocations.items()
        for rc, amount in res.items()])
    for item in items:
        _save_consumer(batch, item, consumers.get(item.consumer_uuid), state.owners, now)
    # Only a claim that will commit takes a change id: a rolled-back one would
    # leave a gap every worker's index asks about again for seconds.
    batch.add(INSERT_CHANGES, change_rows(generations, usage_only=True))
    try:
        batch.run(conn)
    except GuardFailed as failed:
        _lost(failed.guard, items)


def _class_ids(conn: sa.Connection, names: set[str]) -> dict[str, int]:
    """Class ids; standard classes need no query."""
    standard = resource_class.STANDARD_IDS
    if all(name in standard for name in names):
        return {name: standard[name] for name in names}
    return resource_class.ids_for(conn, names)


# The claim's statements are built once: each execution then skips building the
# construct and computing its cache key.
_OTHERS_USE = (sa.select(sa.func.coalesce(sa.func.sum(ALLOC.c.used), 0))
               .where(ALLOC.c.resource_provider_id == RP.c.id,
                      ALLOC.c.resource_class_id == INV.c.resource_class_id,
                      ALLOC.c.consumer_id.not_in(sa.bindparam("consumers", expanding=True)))
               .scalar_subquery())
_NONE = sa.null()
# Everything a claim reads, in one statement (one round trip, one snapshot), one
# row per: inventory of a wanted provider ("r"; a provider without inventory has
# one row of NULLs), consumer ("c"), provider the consumers hold allocations on
# ("o"), and existing project ("p"), user ("u") and consumer type ("t") asked for.
_CLAIM_STATE = sa.union_all(
    sa.select(sa.literal("r").label("kind"), RP.c.uuid.label("uuid"), RP.c.id.label("id"),
              RP.c.generation.label("generation"),
              INV.c.resource_class_id.label("resource_class_id"), INV.c.total.label("total"),
              INV.c.reserved.label("reserved"), INV.c.min_unit.label("min_unit"),
              INV.c.max_unit.label("max_unit"), INV.c.step_size.label("step_size"),
              INV.c.allocation_ratio.label("allocation_ratio"), _OTHERS_USE.label("others"))
    .outerjoin(INV, INV.c.resource_provider_id == RP.c.id)
    .where(RP.c.uuid.in_(sa.bindparam("uuids", expanding=True))),
    sa.select(sa.literal("c"), CONSUMER.c.uuid, CONSUMER.c.id, CONSUMER.c.generation,
              *[_NONE] * 8)
    .where(CONSUMER.c.uuid.in_(sa.bindparam("consumers", expanding=True))),
    sa.select(sa.literal("o"), _NONE, RP.c.id, RP.c.generation, *[_NONE] * 8)
    .where(RP.c.id.in_(sa.select(ALLOC.c.resource_provider_id).where(
        ALLOC.c.consumer_id.in_(sa.bindparam("consumers", expanding=True))))),
    *(sa.select(sa.literal(kind), column, table.c.id, *[_NONE] * 9)
      .where(column.in_(sa.bindparam(kind, expanding=True)))
      for kind, table, column in (("p", PROJECT, PROJECT.c.external_id),
                                  ("u", USER, USER.c.external_id),
                                  ("t", CONSUMER_TYPE, CONSUMER_TYPE.c.name))))
_BUMP_GENERATION = (sa.update(RP).where(RP.c.id == sa.bindparam("b_id"),
                             RP.c.generation == sa.bindparam("b_seen"))
         .values(generation=sa.bindparam("b_new"), updated_at=sa.bindparam("b_now")))
_DELETE_ALLOCATIONS = sa.delete(ALLOC).where(ALLOC.c.consumer_id == sa.bindparam("d_consumer"))
INSERT_ALLOCATIONS = sa.insert(ALLOC)
_INSERT_CONSUMER = sa.insert(CONSUMER)
# A request before 1.38 names no consumer type: the consumer keeps the one it has.
_UPDATE_CONSUMER = (
    sa.update(CONSUMER).where(CONSUMER.c.id == sa.bindparam("c_id"),
                              CONSUMER.c.generation == sa.bindparam("c_seen"))
    .values(generation=sa.bindparam("c_new"), updated_at=sa.bindparam("c_now"),
            project_id=sa.bindparam("c_project"), user_id=sa.bindparam("c_user"),
            consumer_type_id=sa.func.coalesce(sa.bindparam("c_type", type_=sa.Integer),
                                              CONSUMER.c.consumer_type_id)))
_DELETE_CONSUMER = sa.delete(CONSUMER).where(CONSUMER.c.id == sa.bindparam("c_id"))
# Guards of the claim's write batch: a provider's generation moved, or a consumer
# was written by another request (``consumer <uuid>``).
_PROVIDER_GUARD = "provider generation"
CONSUMER_GUARD = "consumer "


@dataclasses.dataclass
class _ClaimState:
    """What ``_CLAIM_STATE`` read."""

    # Wanted providers by uuid (one of their rows: id, uuid, generation).
    providers: dict[str, sa.Row]
    # Inventory rows by (provider id, class id).
    inventories: dict[tuple[int, int], sa.Row]
    # What consumers other than these use, by (provider id, class id).
    others: dict[tuple[int, int], int]
    # The consumers that exist, by uuid (id, generation).
    consumers: dict[str, sa.Row]
    # Generations of the providers the consumers hold allocations on, by id.
    held: dict[int, int]
    # Ids of the projects, users and consumer types that exist: {(kind, name): id}.
    owners: dict[tuple[str, str], int]


def _owners_wanted(items: list[ConsumerAllocations]) -> dict[str, set[str]]:
    """Project, user and consumer type names the consumers that keep allocations need."""
    wanted: dict[str, set[str]] = {"p": set(), "u": set(), "t": set()}
    for item in items:
        if any(item.allocations.values()):
            wanted["p"].add(item.project_id or INCOMPLETE_CONSUMER_ID)
            wanted["u"].add(item.user_id or INCOMPLETE_CONSUMER_ID)
            if item.consumer_type is not None:
                wanted["t"].add(item.consumer_type)
    return wanted


def _claim_state(conn: sa.Connection, items: list[ConsumerAllocations]) -> _ClaimState:
    """Everything the claim of ``items`` checks, from one statement.

    Raises BadRequest for a wanted provider that does not exist.
    """
    uuids = {rp for item in items for rp in item.allocations}
    params = {"uuids": sorted(uuids), "consumers": [item.consumer_uuid for item in items],
              **{kind: sorted(names) for kind, names in _owners_wanted(items).items()}}
    state = _ClaimState({}, {}, {}, {}, {}, {})
    for row in conn.execute(_CLAIM_STATE, params):
        kind = row.kind
        if kind == "r":
            state.providers[row.uuid] = row
            if row.resource_class_id is not None:
                key = (row.id, row.resource_class_id)
                state.inventories[key] = row
                state.others[key] = int(row.others or 0)
        elif kind == "c":
            state.consumers[row.uuid] = row
        elif kind == "o":
            state.held[row.id] = row.generation
        else:
            state.owners[kind, row.uuid] = row.id
    for uuid in sorted(uuids - set(state.providers)):
        raise errors.BadRequest(
            f"Allocation for resource provider '{uuid}' that does not exist.")
    return state


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


def _lost(guard: str, items: list[ConsumerAllocations]) -> None:
    """Raise what a failed guard of the claim's batch means for the request."""
    if guard.startswith(CONSUMER_GUARD):
        uuid = guard.removeprefix(CONSUMER_GUARD)
        _lost_consumer_race(next(item for item in items if item.consumer_uuid == uuid))
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


def _create_owners(conn: sa.Connection, items: list[ConsumerAllocations],
                   owners: dict[tuple[str, str], int]) -> None:
    """Insert the projects, users and consumer types seen for the first time.

    Rare (once per name), so not worth the batch: each insert's id is needed
    right away. ``owners`` gets the new ids.
    """
    for kind, names in _owners_wanted(items).items():
        table, column = _OWNER_TABLES[kind]
        for name in sorted(names):
            if (kind, name) not in owners:
                owners[kind, name] = _create(conn, table, **{column: name})


_OWNER_TABLES = {"p": (PROJECT, "external_id"), "u": (USER, "external_id"),
                 "t": (CONSUMER_TYPE, "name")}


def _create(conn: sa.Connection, table: sa.Table, **values) -> int:
    """Insert a project, user or consumer type that did not exist."""
    try:
        return conn.execute(sa.insert(table).values(created_at=utcnow(), **values)
                            ).inserted_primary_key[0]
    except sa_exc.IntegrityError:
        # Created by a concurrent request; a fresh transaction will see it.
        raise errors.RetryableConflict() from None


def _save_consumer(batch: WriteBatch, item: ConsumerAllocations, row: sa.Row | None,
                   owners: dict[tuple[str, str], int], now) -> None:
    """Create, update or (when it holds nothing now) delete the consumer record.

    ``owners`` holds the ids of the consumer's project, user and type.
    """
    if not any(item.allocations.values()):
        if row is not None:
            batch.add(_DELETE_CONSUMER, {"c_id": row.id})
        return
    project_id = owners["p", item.project_id or INCOMPLETE_CONSUMER_ID]
    user_id = owners["u", item.user_id or INCOMPLETE_CONSUMER_ID]
    type_id = None if item.consumer_type is None else owners["t", item.consumer_type]
    guard = CONSUMER_GUARD + item.consumer_uuid
    if row is None:
        # A new consumer starts at generation 1: it has been written once.
        batch.add(_INSERT_CONSUMER, {
            "uuid": item.consumer_uuid, "generation": 1, "created_at": now,
            "project_id": project_id, "user_id": user_id, "consumer_type_id": type_id},
            guard=guard, on_duplicate=True)
        return
    batch.add(_UPDATE_CONSUMER, {
        "c_id": row.id, "c_seen": row.generation, "c_new": row.generation + 1, "c_now": now,
        "c_project": project_id, "c_user": user_id, "c_type": type_id},
        rows=1, guard=guard)


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
