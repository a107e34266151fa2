"""Claims: a new consumer's claim checked by the database in one round trip.

A scheduler asks for candidates, then claims the first. A claim by a consumer
that must not exist yet (``consumer_generation: null``, 1.28) is sent to MariaDB
as one compound statement ending in COMMIT: one round trip instead of three.
Each provider's generation moves first, which locks its row: every writer of a
provider's allocations or inventory moves that generation, or compares and swaps
the one it read, before it commits. Then come the inserts, and a check that the
inventory, as committed at that moment, admits every allocation of the consumer
on top of everything else allocated (``READ COMMITTED``: each statement reads the
latest commit, and takes no gap locks). The check is skipped when every provider
is exactly one generation past the one the index read with its inventory and
usage: nobody wrote them since, so what the index found room in is what the
database holds (the check is the costlier half of the statement's work in
MariaDB). The consumer's insert proves it is new
(allocations exist only with their consumer's row: every writer keeps them
together), and that its project, user and type exist. A failed check or insert
rolls everything back.

The database decides; this process's candidate index only says which ids to
write and which claims are worth trying: a claim the index finds over capacity,
or naming a provider or class it does not know, takes the checked path
(``allocation.replace``) straight away, which reads the database and gives the
authoritative answer. So does anything the statement refused, an existing
consumer, an owner seen for the first time, several consumers at once, SQLite.
An index a few claims behind the database costs nothing here: other workers'
claims do not make this worker's claims fail.
"""

from __future__ import annotations

import dataclasses
import functools

import sqlalchemy as sa

from db.base import utcnow
from placement.objects import allocation, base, provider_index
from placement.objects.base import ALLOC, CONSUMER, CONSUMER_TYPE, INV, PROJECT, RP, USER
from placement.objects.write_batch import GuardFailed, WriteBatch, supports_compound

_PROJECTS, _USERS, _TYPES = PROJECT.alias("p"), USER.alias("u"), CONSUMER_TYPE.alias("t")
_WANTED_TYPE = sa.bindparam("n_type", type_=sa.String)
# Inserts nothing when the project, the user or a named type does not exist yet.
_INSERT_NEW_CONSUMER = sa.insert(CONSUMER).from_select(
    ["uuid", "generation", "created_at", "project_id", "user_id", "consumer_type_id"],
    sa.select(sa.bindparam("n_uuid", type_=sa.String), sa.literal_column("1"),
              sa.bindparam("n_now", type_=sa.DateTime), _PROJECTS.c.id, _USERS.c.id,
              _TYPES.c.id)
    .select_from(_PROJECTS)
    .join(_USERS, _USERS.c.external_id == sa.bindparam("n_user"))
    .outerjoin(_TYPES, _TYPES.c.name == _WANTED_TYPE)
    .where(_PROJECTS.c.external_id == sa.bindparam("n_project"),
           sa.or_(_WANTED_TYPE.is_(None), _TYPES.c.id.is_not(None))))
# Moves the generation whatever it is, and holds the provider's row until COMMIT.
_MOVE_GENERATION = (sa.update(RP).where(RP.c.id == sa.bindparam("g_id"))
                    .values(generation=RP.c.generation + 1, updated_at=sa.bindparam("g_now")))
_CLAIMED = ALLOC.alias("claimed")
# What all consumers hold of the class of a claimed allocation on its provider.
_HELD = (sa.select(sa.func.sum(ALLOC.c.used))
         .where(ALLOC.c.resource_provider_id == _CLAIMED.c.resource_provider_id,
                ALLOC.c.resource_class_id == _CLAIMED.c.resource_class_id)
         .scalar_subquery())
# MariaDB reads a string in arithmetic as a DOUBLE, so the ratio is the number the
# driver hands to the checked path (it parses the same text), not the FLOAT
# column's binary value, which differs in the last digits (0.7 -> 0.69999998).
_RATIO = sa.cast(INV.c.allocation_ratio, sa.CHAR)
# How many of the consumer's allocations the inventory admits, as committed now
# and with them: the checked path's rules (allocation._check_capacity), evaluated
# by the database. The claim stands only if that is all of them.
_ADMITTED = (
    sa.select(sa.func.count())
    .select_from(_CLAIMED.join(INV, sa.and_(
        INV.c.resource_provider_id == _CLAIMED.c.resource_provider_id,
        INV.c.resource_class_id == _CLAIMED.c.resource_class_id)))
    .where(_CLAIMED.c.consumer_id == sa.bindparam("k_consumer"),
           _CLAIMED.c.used.between(INV.c.min_unit, INV.c.max_unit),
           _CLAIMED.c.used % INV.c.step_size == 0,
           _HELD <= (INV.c.total - INV.c.reserved) * _RATIO))


@functools.cache
def _unchanged(count: int) -> sa.Select:
    """How many of ``count`` providers are at the generations given (``f_id<i>``,
    ``f_generation<i>``): one statement per number of providers, built once."""
    return sa.select(sa.func.count()).select_from(RP).where(sa.or_(*(
        sa.and_(RP.c.id == sa.bindparam(f"f_id{i}"),
                RP.c.generation == sa.bindparam(f"f_generation{i}"))
        for i in range(count))))


_GONE_GUARD = "provider gone"
_ROOM_GUARD = "no room"


@dataclasses.dataclass(frozen=True)
class _ProviderClaim:
    """What the claim takes from one provider."""

    provider: provider_index.Provider
    # The generation the index read with the inventory and usage it holds.
    seen: int
    # Amounts by class id.
    amounts: dict[int, int]


def replace(url: str, items: list[allocation.ConsumerAllocations], attempts: int) -> None:
    """Replace the allocations of every consumer in ``items``, atomically: in one
    round trip when it can, else through the checked path."""
    if not _claimed_in_one_trip(url, items):
        allocation.replace(url, items, attempts)


def _claimed_in_one_trip(url: str, items: list[allocation.ConsumerAllocations]) -> bool:
    """Commit a new consumer's claim in one statement; False (nothing written) when
    it does not apply or the database refused it."""
    if len(items) != 1 or items[0].generation is not None:
        return False
    item = items[0]
    if not any(item.allocations.values()):
        return False
    engine = base.engine(url)
    if not supports_compound(engine.dialect):
        return False
    index = provider_index.for_url(url)
    with index.lock:
        if index.loaded and not all(rp in index.by_uuid for rp in item.allocations):
            # A provider created since this worker last refreshed (it may never have
            # served candidates): one query brings the new ones.
            index.refresh()
        plan = _plan(index, item)
    if plan is None:
        return False
    with engine.connect() as conn:
        try:
            _writes(item, plan).commit_alone(conn, read_committed=True)
        except GuardFailed:
            return False
    with index.lock:
        for claim in plan:
            index.claimed(claim.provider, claim.seen, claim.amounts)
    return True


def _plan(index: provider_index.ProviderIndex,
          item: allocation.ConsumerAllocations) -> list[_ProviderClaim] | None:
    """Each provider's part of the claim, in id order, if the index knows every
    provider and class and finds room; else None (the caller holds the lock)."""
    plan = []
    for rp_uuid, resources in item.allocations.items():
        provider = index.providers.get(index.by_uuid.get(rp_uuid, -1))
        if provider is None:
            return None
        amounts: dict[int, int] = {}
        for rc, amount in resources.items():
            rc_id = index.rc_ids.get(rc, -1)
            inventory = provider.inventory.get(rc_id)
            if inventory is None or not inventory.fits(provider.used.get(rc_id, 0), amount):
                return None
            amounts[rc_id] = amount
        plan.append(_ProviderClaim(provider, provider.generation, amounts))
    return sorted(plan, key=lambda claim: claim.provider.id)


def _as_the_index_saw(plan: list[_ProviderClaim]) -> tuple[sa.Select, dict[str, int], int]:
    """The query that shows every provider one generation past what the index saw:
    nobody else wrote them since, so the index's inventory and usage, which found
    room for the claim, are the database's, and the check can be skipped."""
    params: dict[str, int] = {}
    for i, claim in enumerate(plan):
        params[f"f_id{i}"] = claim.provider.id
        params[f"f_generation{i}"] = claim.seen + 1
    return _unchanged(len(plan)), params, len(plan)


def _writes(item: allocation.ConsumerAllocations, plan: list[_ProviderClaim]) -> WriteBatch:
    """The claim's writes: the generations first, in id order (the provider rows are
    then ours), the allocations, the consumer, the change log."""
    now = utcnow()
    batch = WriteBatch()
    for claim in plan:
        batch.add(_MOVE_GENERATION, {"g_id": claim.provider.id, "g_now": now},
                  rows=1, guard=_GONE_GUARD)
    batch.add(allocation.INSERT_ALLOCATIONS, [
        {"resource_provider_id": claim.provider.id, "consumer_id": item.consumer_uuid,
         "resource_class_id": rc_id, "used": amount, "created_at": now}
        for claim in plan for rc_id, amount in claim.amounts.items()])
    batch.add(_INSERT_NEW_CONSUMER, {
        "n_uuid": item.consumer_uuid, "n_now": now,
        "n_project": item.project_id or allocation.INCOMPLETE_CONSUMER_ID,
        "n_user": item.user_id or allocation.INCOMPLETE_CONSUMER_ID,
        "n_type": item.consumer_type}, rows=1, guard=allocation.CONSUMER_GUARD + item.consumer_uuid,
        on_duplicate=True)
    batch.check(_ADMITTED, {"k_consumer": item.consumer_uuid},
                sum(len(claim.amounts) for claim in plan), guard=_ROOM_GUARD,
                unless=_as_the_index_saw(plan))
    batch.add(base.INSERT_CHANGES, base.change_rows([claim.provider.id for claim in plan],
                                               usage_only=True))
    return batch
