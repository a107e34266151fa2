"""Claims: a new consumer's claim checked against the candidate index.

A scheduler asks for candidates, then claims the first. The candidate index of
this process already holds each provider's inventory, usage and generation, read
in one snapshot. A claim by a consumer that must not exist yet
(``consumer_generation: null``, 1.28) is checked there and its writes go to
MariaDB with COMMIT in one compound statement: one round trip instead of three.
The compare-and-swap of every provider's generation in that statement proves
that the database still holds what the index showed, since every write of
inventory or allocations moves the generation; the consumer's insert proves it
is new (allocations exist only with their consumer's row: every writer keeps
them together), and that its project, user and type exist.

Anything else takes the checked path (``allocation.replace``), which reads the
database and gives the authoritative answer: a stale index, a consumer that
exists, an owner seen for the first time, a claim the index finds over capacity,
several consumers at once, SQLite. A provider found stale is left to the checked
path until the change log reloads it into the index, so workers claiming the same
providers in turn do not pay for a failed try on every claim. A provider a loaded
index does not know yet makes it read the change log first.
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from db.base import utcnow
from placement.objects import allocation, base, provider_index
from placement.objects.base import CONSUMER, CONSUMER_TYPE, INSERT_CHANGES, PROJECT, USER
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


@dataclasses.dataclass(frozen=True)
class _ProviderClaim:
    """What the claim takes from one provider, as the index showed it."""

    provider: provider_index.Provider
    # The generation the index read with the inventory and usage checked.
    seen: int
    # Amounts by class id.
    amounts: dict[int, int]


def replace(url: str, items: list[allocation.ConsumerAllocations], attempts: int) -> None:
    """Replace the allocations of every consumer in ``items``, atomically: from the
    index in one round trip when it can, else through the checked path."""
    if not _claimed_from_index(url, items):
        allocation.replace(url, items, attempts)


def _claimed_from_index(url: str, items: list[allocation.ConsumerAllocations]) -> bool:
    """Commit a new consumer's claim checked against the index; False (nothing
    written) when it does not apply or the database disagreed with the index."""
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
            _writes(item, plan).commit_alone(conn)
        except GuardFailed as failed:
            if failed.guard == allocation.PROVIDER_GUARD:
                # Another process wrote one of them: until this worker's index hears
                # of it, their claims go straight to the checked path.
                with index.lock:
                    for claim in plan:
                        index.doubt(claim.provider, claim.seen)
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
        if provider is None or provider.generation is None:
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


def _writes(item: allocation.ConsumerAllocations, plan: list[_ProviderClaim]) -> WriteBatch:
    """The claim's writes: the generations first (the rows the inserts refer to are
    then ours), the allocations, the consumer, the change log."""
    now = utcnow()
    batch = WriteBatch()
    for claim in plan:
        batch.add(allocation.BUMP_GENERATION, {
            "b_id": claim.provider.id, "b_seen": claim.seen, "b_new": claim.seen + 1,
            "b_now": now}, rows=1, guard=allocation.PROVIDER_GUARD)
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
    batch.add(INSERT_CHANGES, base.change_rows([claim.provider.id for claim in plan],
                                               usage_only=True))
    return batch
