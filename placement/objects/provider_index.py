"""A per-process, in-memory index of providers for allocation candidates.

Each worker keeps every provider with its inventory, usage, traits and aggregates
in memory and keeps it fresh from the database: every write that could change a
candidate adds a row to ``provider_changes`` in its own transaction, and before
answering a request the index reads the rows past the last one it applied (one
small query) and reloads only those providers, in one snapshot.

Candidates are advice: a claim (``PUT /allocations``) is always checked against
the database in its own transaction, so an index a few milliseconds behind can
at worst offer a candidate the claim then refuses with 409; it can never cause
an over-allocation.

Commit order is not id order: a transaction may commit after one holding a
higher change id. Ids missing below the highest seen are kept as gaps and asked
for again until they appear or are older than ``GAP_SECONDS`` (a rolled-back
transaction leaves a gap for ever). A worker whose log rows were pruned (idle for
longer than the retention), or that finds the log emptied, reloads everything.
"""

from __future__ import annotations

import gc
import json
import threading
import time

import sqlalchemy as sa

from placement.objects import base, resource_class
from placement.objects.base import AGG, ALLOC, CHANGES, INV, RC, RP, RP_AGG, RP_TRAIT, TRAIT

SHARING_TRAIT = "MISC_SHARES_VIA_AGGREGATE"
# A change id missing this long is taken for a rolled-back transaction.
GAP_SECONDS = 10.0
# Log rows older than this are deleted (by any worker, at most every PRUNE_EVERY).
RETENTION_SECONDS = 3600.0
PRUNE_EVERY = 300.0
# After a full load of at least this many providers the process's objects are
# frozen out of the cyclic garbage collector (gc.freeze): the index is millions of
# long-lived objects that every full collection would otherwise walk again (at
# 1,000 providers a third of a candidates request's CPU; at 100,000, seconds).
FREEZE_MIN_PROVIDERS = 500


# The oldest log row, then the rows past ``seen`` (and those seen missing): built
# once, as every request of every worker runs one of them.
_OLDEST = sa.select(sa.func.min(CHANGES.c.id), sa.null(), sa.null())
_LOGGED = sa.select(CHANGES.c.id, CHANGES.c.resource_provider_id, CHANGES.c.usage_only)
_NEWER = sa.union_all(_OLDEST, _LOGGED.where(CHANGES.c.id > sa.bindparam("seen")))
_NEWER_OR_MISSING = sa.union_all(_OLDEST, _LOGGED.where(sa.or_(
    CHANGES.c.id > sa.bindparam("seen"),
    CHANGES.c.id.in_(sa.bindparam("missing", expanding=True)))))


class Inventory:
    """One class of one provider: the limits a candidate must respect."""

    __slots__ = ("total", "reserved", "min_unit", "max_unit", "step_size", "ratio",
                 "capacity")

    def __init__(self, row) -> None:
        self.total = row.total
        self.reserved = row.reserved
        self.min_unit = row.min_unit
        self.max_unit = row.max_unit
        self.step_size = row.step_size
        self.ratio = row.allocation_ratio
        # Compared as a float, like the claim does; shown as an int in summaries.
        self.capacity = (row.total - row.reserved) * row.allocation_ratio

    def fits(self, used: int, amount: int) -> bool:
        """True when ``amount`` more can be allocated on top of ``used``."""
        return (self.min_unit <= amount <= self.max_unit and amount % self.step_size == 0
                and used + amount <= self.capacity)


class Provider:
    """What the index knows of one provider."""

    __slots__ = ("id", "uuid", "uuid_json", "parent_id", "root_id", "generation",
                 "inventory", "used", "traits", "aggregates", "rendered")

    def __init__(self, pid: int, uuid: str, parent_id: int | None, root_id: int,
                 generation: int) -> None:
        self.id = pid
        self.uuid = uuid
        self.uuid_json = json.dumps(uuid)
        self.parent_id = parent_id
        self.root_id = root_id
        # Read in the same snapshot as the inventory and usage: while the provider's
        # row still has this generation, they are what the database holds.
        self.generation = generation
        self.inventory: dict[int, Inventory] = {}
        self.used: dict[int, int] = {}
        self.traits: frozenset[str] = frozenset()
        self.aggregates: frozenset[str] = frozenset()
        # JSON fragments of this provider (its summary), by rendering options; built
        # on demand by the candidates handler and dropped when the usage changes.
        self.rendered: dict | None = None


class ProviderIndex:
    """Providers of one placement database, as this process last saw them."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.lock = threading.RLock()
        self.providers: dict[int, Provider] = {}
        self.by_uuid: dict[str, int] = {}
        self.trees: dict[int, list[int]] = {}
        self.sharing: set[int] = set()
        self.rc_ids: dict[str, int] = dict(resource_class.STANDARD_IDS)
        self.rc_names: dict[int, str] = {v: k for k, v in self.rc_ids.items()}
        self._roots: list[int] | None = None
        self._max_seen = 0
        self._gaps: dict[int, float] = {}
        self._loaded = False
        self._last_refresh = 0.0
        self._last_prune = time.monotonic()
        self._marks: list[tuple[float, int]] = []
        self.full_loads = 0

    # ------------------------------------------------------------------ reading

    @property
    def loaded(self) -> bool:
        """Whether the index holds every provider (it had a full load)."""
        return self._loaded

    def roots(self) -> list[int]:
        """Ids of every root provider, ascending."""
        if self._roots is None:
            self._roots = sorted(self.trees)
        return self._roots

    def rc_id(self, name: str) -> int | None:
        """The id of class ``name``, asking the database once if it is unknown here."""
        found = self.rc_ids.get(name)
        if found is None:
            with base.engine(self.url).begin() as conn:
                self._load_classes(conn)
            found = self.rc_ids.get(name)
        return found

    # ------------------------------------------------------------------ freshness

    def refresh(self) -> None:
        """Apply every change committed since the last call (the caller holds lock)."""
        now = time.monotonic()
        engine = base.engine(self.url)
        if not self._loaded or now - self._last_refresh > RETENTION_SECONDS / 2:
            with engine.begin() as conn:
                self._full_load(conn)
            self._last_refresh = now
            return
        with engine.begin() as conn:
            if not self._incremental(conn, now):
                self._full_load(conn)
        self._last_refresh = now
        if now - self._last_prune > PRUNE_EVERY:
            self._prune(engine, now)

    def _incremental(self, conn: sa.Connection, now: float) -> bool:
        """Apply new log rows; False when the log says a full reload is needed."""
        if self._gaps:
            rows = conn.execute(_NEWER_OR_MISSING, {"seen": self._max_seen,
                                                    "missing": sorted(self._gaps)}).all()
        else:
            rows = conn.execute(_NEWER, {"seen": self._max_seen}).all()
        first = rows[0][0]
        if self._max_seen and (first is None or first > self._max_seen):
            # The log was emptied or pruned past what this process has seen.
            return False
        changes = rows[1:]
        if not changes:
            self._expire_gaps(now)
            return True
        full: set[int] = set()
        usage: set[int] = set()
        catalogue = False
        for change_id, provider_id, usage_only in changes:
            self._gaps.pop(change_id, None)
            if provider_id is None:
                catalogue = True
            elif usage_only:
                usage.add(provider_id)
            else:
                full.add(provider_id)
        highest = max(r[0] for r in changes)
        if highest > self._max_seen:
            present = {r[0] for r in changes}
            for missing in range(self._max_seen + 1, highest):
                if missing not in present:
                    self._gaps[missing] = now
            self._max_seen = highest
        self._expire_gaps(now)
        if catalogue:
            self._load_classes(conn)
        if full:
            self._load_providers(conn, full)
        usage -= full
        if usage:
            self._load_usage(conn, usage)
        return True

    def _expire_gaps(self, now: float) -> None:
        for change_id, since in list(self._gaps.items()):
            if now - since > GAP_SECONDS:
                del self._gaps[change_id]

    def _prune(self, engine: sa.Engine, now: float) -> None:
        self._last_prune = now
        self._marks.append((now, self._max_seen))
        old = [m for m in self._marks if now - m[0] > RETENTION_SECONDS]
        if not old:
            return
        cut = old[-1][1]
        self._marks = [m for m in self._marks if now - m[0] <= RETENTION_SECONDS]
        with engine.begin() as conn:
            conn.execute(sa.delete(CHANGES).where(CHANGES.c.id < cut))

    # ------------------------------------------------------------------ loading

    def _full_load(self, conn: sa.Connection) -> None:
        """Everything, from one snapshot (the first read starts it)."""
        highest = conn.execute(sa.select(sa.func.max(CHANGES.c.id))).scalar() or 0
        recent = set(conn.execute(sa.select(CHANGES.c.id)
                                  .where(CHANGES.c.id > highest - 1000)).scalars())
        now = time.monotonic()
        low = min(recent, default=highest + 1)
        self._gaps = {i: now for i in range(low, highest + 1) if i not in recent}
        self._max_seen = highest
        self.providers = {}
        self.by_uuid = {}
        self.trees = {}
        self.sharing = set()
        self._roots = None
        self._load_classes(conn)
        self._load_providers(conn, None)
        self._loaded = True
        self.full_loads += 1
        if len(self.providers) >= FREEZE_MIN_PROVIDERS:
            # Garbage first, so that none is frozen; then what is left lives on.
            gc.collect()
            gc.freeze()

    def _load_classes(self, conn: sa.Connection) -> None:
        ids = dict(resource_class.STANDARD_IDS)
        ids.update({r.name: r.id for r in conn.execute(sa.select(RC.c.name, RC.c.id))})
        names = {v: k for k, v in ids.items()}
        if names != self.rc_names:
            # A renamed class: every rendered summary may name it.
            for provider in self.providers.values():
                provider.rendered = None
        self.rc_ids = ids
        self.rc_names = names

    def _load_providers(self, conn: sa.Connection, ids: set[int] | None) -> None:
        """(Re)load providers ``ids`` (None: all) with everything they carry."""
        def where(column):
            return column.in_(sorted(ids)) if ids is not None else sa.true()

        rows = conn.execute(sa.select(RP.c.id, RP.c.uuid, RP.c.parent_provider_id,
                                      RP.c.root_provider_id, RP.c.generation)
                            .where(where(RP.c.id))).all()
        fresh: dict[int, Provider] = {
            r.id: Provider(r.id, r.uuid, r.parent_provider_id, r.root_provider_id or r.id,
                           r.generation)
            for r in rows}
        for r in conn.execute(sa.select(INV).where(where(INV.c.resource_provider_id))):
            provider = fresh.get(r.resource_provider_id)
            if provider is not None:
                provider.inventory[r.resource_class_id] = Inventory(r)
        self._read_usage(conn, fresh, where(ALLOC.c.resource_provider_id))
        traits: dict[int, set[str]] = {}
        for pid, name in conn.execute(
                sa.select(RP_TRAIT.c.resource_provider_id, TRAIT.c.name)
                .join(TRAIT, TRAIT.c.id == RP_TRAIT.c.trait_id)
                .where(where(RP_TRAIT.c.resource_provider_id))):
            traits.setdefault(pid, set()).add(name)
        aggregates: dict[int, set[str]] = {}
        for pid, uuid in conn.execute(
                sa.select(RP_AGG.c.resource_provider_id, AGG.c.uuid)
                .join(AGG, AGG.c.id == RP_AGG.c.aggregate_id)
                .where(where(RP_AGG.c.resource_provider_id))):
            aggregates.setdefault(pid, set()).add(uuid)
        interned: dict[frozenset, frozenset] = {}
        for pid, provider in fresh.items():
            # Many providers share the same sets: keep one copy of each.
            t = frozenset(traits.get(pid, ()))
            provider.traits = interned.setdefault(t, t)
            a = frozenset(aggregates.get(pid, ()))
            provider.aggregates = interned.setdefault(a, a)
        for pid in (ids if ids is not None else ()):
            if pid not in fresh:
                self._forget(pid)
        for provider in fresh.values():
            self._put(provider)

    def _read_usage(self, conn: sa.Connection, providers: dict[int, Provider],
                    clause) -> None:
        for pid, rc, used in conn.execute(
                sa.select(ALLOC.c.resource_provider_id, ALLOC.c.resource_class_id,
                          sa.func.sum(ALLOC.c.used))
                .where(clause)
                .group_by(ALLOC.c.resource_provider_id, ALLOC.c.resource_class_id)):
            provider = providers.get(pid)
            if provider is not None:
                provider.used[rc] = int(used)

    def _load_usage(self, conn: sa.Connection, ids: set[int]) -> None:
        known = {pid: self.providers[pid] for pid in ids if pid in self.providers}
        for provider in known.values():
            provider.used = {}
            provider.rendered = None
        if known:
            # Every change of usage moved the generation too.
            for pid, generation in conn.execute(
                    sa.select(RP.c.id, RP.c.generation).where(RP.c.id.in_(sorted(known)))):
                known[pid].generation = generation
            self._read_usage(conn, known, ALLOC.c.resource_provider_id.in_(sorted(known)))

    def claimed(self, provider: Provider, seen: int, amounts: dict[int, int]) -> None:
        """Count a claim this process committed on ``provider`` at generation ``seen``
        (the caller holds the lock), so that its next candidates and claims need
        not wait for the change log; a provider reloaded or claimed meanwhile is
        left as it is: the log brings the claim there."""
        if self.providers.get(provider.id) is not provider or provider.generation != seen:
            return
        provider.generation = seen + 1
        for rc, amount in amounts.items():
            provider.used[rc] = provider.used.get(rc, 0) + amount
        provider.rendered = None

    def _forget(self, pid: int) -> None:
        old = self.providers.pop(pid, None)
        if old is None:
            return
        self.by_uuid.pop(old.uuid, None)
        self.sharing.discard(pid)
        members = self.trees.get(old.root_id)
        if members is not None and pid in members:
            members.remove(pid)
            if not members:
                del self.trees[old.root_id]
                self._roots = None

    def _put(self, provider: Provider) -> None:
        old = self.providers.get(provider.id)
        if old is not None and old.root_id != provider.root_id:
            self._forget(provider.id)
            old = None
        self.providers[provider.id] = provider
        self.by_uuid[provider.uuid] = provider.id
        if old is None:
            members = self.trees.get(provider.root_id)
            if members is None:
                self.trees[provider.root_id] = [provider.id]
                self._roots = None
            else:
                members.append(provider.id)
                members.sort()
        if SHARING_TRAIT in provider.traits:
            self.sharing.add(provider.id)
        else:
            self.sharing.discard(provider.id)


_INDEXES: dict[str, ProviderIndex] = {}
_INDEXES_LOCK = threading.Lock()


def for_url(url: str) -> ProviderIndex:
    """This process's index of the database ``url``."""
    index = _INDEXES.get(url)
    if index is None:
        with _INDEXES_LOCK:
            index = _INDEXES.setdefault(url, ProviderIndex(url))
    return index
