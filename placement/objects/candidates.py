"""Allocation candidates: every way a request could be satisfied.

Candidates are computed from this process's in-memory provider index
(``provider_index``), refreshed from the database's change log before each
request, so a request costs one small query plus work in memory proportional to
the trees it looks at: with ``limit`` it stops as soon as it has enough.

For each tree (in root id order, or shuffled with
``[placement] randomize_allocation_candidates``) the pool of providers is the
tree itself plus the sharing providers (trait MISC_SHARES_VIA_AGGREGATE) that
share an aggregate with a provider of the tree. Each request group is met by
providers of the pool: the unsuffixed group may spread its classes over several
providers (from 1.29; before, over one provider of the tree plus sharing ones), a
suffixed group takes all its classes from one provider, which may be a sharing
one. The groups' ways are then combined, checked together (capacity of shared
use, group_policy, traits of the unsuffixed group, same_subtree) and deduplicated.

Candidates are advice: claims check capacity again in the database.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
from collections.abc import Callable
from typing import TypeVar

from placement import errors
from placement.objects import filters, provider_index

T = TypeVar("T")


@dataclasses.dataclass
class RequestGroup:
    """One request group: the unsuffixed one (suffix "") or a suffixed one."""

    suffix: str = ""
    resources: dict[str, int] = dataclasses.field(default_factory=dict)
    traits: filters.TraitFilter = dataclasses.field(default_factory=filters.TraitFilter)
    member_of: filters.AggregateFilter = dataclasses.field(
        default_factory=filters.AggregateFilter)
    in_tree: str | None = None


@dataclasses.dataclass
class CandidateRequest:
    """A whole GET /allocation_candidates request."""

    groups: list[RequestGroup]
    group_policy: str | None = None
    limit: int | None = None
    root_traits: filters.TraitFilter = dataclasses.field(default_factory=filters.TraitFilter)
    same_subtree: list[list[str]] = dataclasses.field(default_factory=list)
    nested: bool = True
    all_summary_classes: bool = True


@dataclasses.dataclass
class Candidates:
    """The answer: allocation requests and the providers they mention."""

    # Each request: (allocations {provider id: {class: amount}}, mappings {suffix: [ids]}).
    # The resources dicts may be shared between requests: read them, never change them.
    requests: list[tuple[dict[int, dict[str, int]], dict[str, list[int]]]]
    # Providers by id: the index's own map (read it only under the index lock).
    providers: dict[int, provider_index.Provider]
    # Ids of the providers to summarise, ascending.
    summaries: list[int]
    # Class ids a summary shows (None: every class of the provider).
    summary_classes: frozenset[int] | None
    # Class names by id.
    rc_names: dict[int, str]


# A group's way to be met in one tree: (providers it maps to, ((provider, class, amount), ...)).
Piece = tuple[tuple[int, ...], tuple[tuple[int, str, int], ...]]


def find(url: str, request: CandidateRequest, randomize: bool = False,
         render: Callable[[Candidates], T] | None = None) -> Candidates | T:
    """Every allocation request meeting ``request``, with provider summaries.

    ``render``, when given, turns the answer into what the caller returns, under
    the index lock (the providers it reads cannot change meanwhile).
    """
    index = provider_index.for_url(url)
    with index.lock:
        index.refresh()
        found = _Finder(index, request, randomize).run()
        return render(found) if render is not None else found


def _placed_groups(request: CandidateRequest) -> list[RequestGroup]:
    """Groups that are met by providers: those with resources, and suffixed ones."""
    return [g for g in request.groups if g.resources or g.suffix]


def _unsuffixed(request: CandidateRequest) -> RequestGroup | None:
    return next((g for g in request.groups if not g.suffix), None)


class _Finder:
    """One request evaluated against the index (whose lock the caller holds)."""

    # Trees of one provider skip the general search when one group is asked for.
    lone_shortcut = True

    def __init__(self, index: provider_index.ProviderIndex, request: CandidateRequest,
                 randomize: bool) -> None:
        self.ix = index
        self.providers = index.providers
        self.request = request
        self.randomize = randomize
        self.groups = _placed_groups(request)
        self.unsuffixed = _unsuffixed(request)
        names = {rc for g in request.groups for rc in g.resources}
        self.rc_ids: dict[str, int] = {}
        for name in sorted(names):
            found = index.rc_id(name)
            if found is None:
                raise errors.BadRequest(f"Unknown resource class in request: {name}")
            self.rc_ids[name] = found
        # Per group: [(class name, class id, amount)], sorted by class name.
        self.wants = [[(rc, self.rc_ids[rc], g.resources[rc]) for rc in sorted(g.resources)]
                      for g in self.groups]
        # The resources of a candidate of one provider for one group (shared).
        self.lone_resources = ({rc: amount for rc, _i, amount in self.wants[0]}
                               if len(self.wants) == 1 else {})
        unsuffixed = self.unsuffixed
        self.lone_traits = (unsuffixed.traits if unsuffixed is not None and unsuffixed.traits
                            else None)
        self.tree_of = {}
        for g in request.groups:
            if g.in_tree is not None:
                pid = index.by_uuid.get(g.in_tree)
                self.tree_of[g.in_tree] = self.providers[pid].root_id if pid else None

    # ---------------------------------------------------------------- filters

    def _passes(self, group: RequestGroup, p: provider_index.Provider) -> bool:
        """Filters of ``group`` that hold for provider ``p`` on its own."""
        if group.in_tree is not None and p.root_id != self.tree_of[group.in_tree]:
            return False
        aggs = group.member_of
        if aggs:
            # A provider counts as a member of its root's aggregates too (nested trees).
            root_aggs = self.providers[p.root_id].aggregates
            for wanted in aggs.any_of:
                if not (p.aggregates & wanted or root_aggs & wanted):
                    return False
            if aggs.forbidden and p.aggregates & aggs.forbidden \
                    and root_aggs & aggs.forbidden:
                return False
        traits = group.traits
        if traits.forbidden and p.traits & traits.forbidden:
            return False
        if group.suffix:
            if not traits.required <= p.traits:
                return False
            for any_of in traits.any_of:
                if not p.traits & any_of:
                    return False
        return True

    def _root_ok(self, root: provider_index.Provider) -> bool:
        """root_required, and the filters of an unsuffixed group without resources."""
        if self.request.root_traits and not self.request.root_traits.satisfied_by(
                root.traits):
            return False
        unsuffixed = self.unsuffixed
        if unsuffixed is not None and not unsuffixed.resources:
            return self._passes(unsuffixed, root)
        return True

    # ---------------------------------------------------------------- search

    def _roots(self) -> list[int]:
        roots = self.ix.roots()
        if not self.ix.sharing:
            # Without sharing providers a group pinned to a tree keeps us in it.
            pinned = {self.tree_of[g.in_tree] for g in self.groups
                      if g.in_tree is not None and g.resources}
            if pinned:
                roots = sorted(r for r in pinned if r is not None and r in self.ix.trees)
        if self.randomize:
            roots = list(roots)
            random.shuffle(roots)
        return roots

    def run(self) -> Candidates:
        results: list = []
        seen: set = set()
        limit = self.request.limit
        trees = self.ix.trees
        # One group, no sharing provider: a tree of one provider has at most one
        # candidate, found without combining (the usual compute host).
        single = (self.lone_shortcut and len(self.groups) == 1 and bool(self.wants[0])
                  and not self.ix.sharing and not self.request.same_subtree)
        for root_id in self._roots():
            root = self.providers[root_id]
            if not self._root_ok(root):
                continue
            if single and len(trees[root_id]) == 1:
                found = self._lone_candidate(root)
                if found is not None:
                    results.append(found)
                    if limit and len(results) >= limit and not self.randomize:
                        break
                continue
            for found, key in self._tree_candidates(root_id):
                if key in seen:
                    continue
                seen.add(key)
                results.append(found)
            if limit and len(results) >= limit and not self.randomize:
                break
        if self.randomize:
            random.shuffle(results)
        if limit:
            results = results[:limit]
        return self._answer(results)

    def _lone_candidate(self, p: provider_index.Provider):
        """The candidate of a tree of one provider ``p`` for the only group, or None.

        What ``_tree_candidates`` finds there, without the combinations: one way to
        place each class, on ``p``.
        """
        group = self.groups[0]
        if not self._passes(group, p):
            return None
        inventory, used = p.inventory, p.used
        for _rc, rc_id, amount in self.wants[0]:
            inv = inventory.get(rc_id)
            if inv is None or not inv.fits(used.get(rc_id, 0), amount):
                return None
        # The traits of the unsuffixed group hold for the providers it uses: ``p``.
        if self.lone_traits is not None and not self.lone_traits.satisfied_by(p.traits):
            return None
        return {p.id: self.lone_resources}, {group.suffix: [p.id]}

    def _pool(self, root_id: int) -> list[provider_index.Provider]:
        """The tree of ``root_id`` and the sharing providers anchored to it."""
        providers = self.providers
        tree = [providers[p] for p in self.ix.trees[root_id]]
        if not self.ix.sharing:
            return tree
        tree_aggs = frozenset().union(*(p.aggregates for p in tree))
        if not tree_aggs:
            return tree
        shared = [providers[s] for s in sorted(self.ix.sharing)
                  if providers[s].root_id != root_id and providers[s].aggregates & tree_aggs]
        return tree + shared

    def _tree_candidates(self, root_id: int):
        pool = self._pool(root_id)
        per_group = []
        for group, wants in zip(self.groups, self.wants, strict=True):
            pieces = self._pieces(group, wants, pool, root_id)
            if not pieces:
                return
            per_group.append(pieces)
        groups = self.groups
        for combo in itertools.product(*per_group):
            allocations: dict[int, dict[str, int]] = {}
            mappings: dict[str, list[int]] = {}
            for group, (mapped, amounts) in zip(groups, combo, strict=True):
                mappings[group.suffix] = list(mapped)
                for pid, rc, amount in amounts:
                    resources = allocations.setdefault(pid, {})
                    resources[rc] = resources.get(rc, 0) + amount
            if not (self._isolated(mappings) and self._fits(allocations, len(groups))
                    and self._traits_ok(allocations, mappings)
                    and self._same_subtree_ok(mappings)):
                continue
            key = (tuple(sorted((p, tuple(sorted(r.items()))) for p, r in allocations.items())),
                   tuple(sorted((s, tuple(m)) for s, m in mappings.items())))
            yield (allocations, mappings), key

    def _pieces(self, group: RequestGroup, wants: list, pool: list,
                root_id: int) -> list[Piece]:
        """The ways ``group`` can be met by ``pool``."""
        if not wants:
            return [((p.id,), ()) for p in pool
                    if p.root_id == root_id and self._passes(group, p)]
        passing = [p for p in pool if self._passes(group, p)]
        by_class = []
        for _rc, rc_id, amount in wants:
            able = [p.id for p in passing
                    if (inv := p.inventory.get(rc_id)) is not None
                    and inv.fits(p.used.get(rc_id, 0), amount)]
            if not able:
                return []
            by_class.append(able)
        if group.suffix:
            # One provider gives everything the group asks for.
            common = set(by_class[0]).intersection(*by_class[1:])
            return [((p,), tuple((p, rc, amount) for rc, _i, amount in wants))
                    for p in sorted(common)]
        pieces = []
        nested = self.request.nested
        sharing = self.ix.sharing
        for choice in itertools.product(*by_class):
            mapped = tuple(sorted(set(choice)))
            if not nested and len({p for p in mapped if p not in sharing}) > 1:
                # Before 1.29: one provider of the tree, plus sharing providers.
                continue
            amounts = tuple((p, rc, amount)
                            for p, (rc, _i, amount) in zip(choice, wants, strict=True))
            pieces.append((mapped, amounts))
        return pieces

    # ---------------------------------------------------------------- checks

    def _isolated(self, mappings: dict[str, list[int]]) -> bool:
        if self.request.group_policy != "isolate":
            return True
        used = [p for s, ps in mappings.items() if s for p in ps]
        return len(used) == len(set(used))

    def _fits(self, allocations: dict[int, dict[str, int]], groups: int) -> bool:
        # Each class was checked alone; a provider serving several groups must
        # also have room for their sum.
        if groups == 1:
            return True
        for pid, resources in allocations.items():
            p = self.providers[pid]
            for rc, amount in resources.items():
                rc_id = self.rc_ids[rc]
                inv = p.inventory.get(rc_id)
                if inv is None or p.used.get(rc_id, 0) + amount > inv.capacity:
                    return False
        return True

    def _traits_ok(self, allocations: dict[int, dict[str, int]],
                   mappings: dict[str, list[int]]) -> bool:
        unsuffixed = self.unsuffixed
        if unsuffixed is None or not unsuffixed.traits:
            return True
        providers = mappings.get("") if unsuffixed.resources else list(allocations)
        union = frozenset().union(*(self.providers[p].traits for p in providers or []))
        return unsuffixed.traits.satisfied_by(union)

    def _same_subtree_ok(self, mappings: dict[str, list[int]]) -> bool:
        for suffixes in self.request.same_subtree:
            members = {p for s in suffixes for p in mappings.get(s, [])}
            # One of the providers must be an ancestor (or self) of all the others.
            if not any(all(self._is_ancestor(top, p) for p in members) for top in members):
                return False
        return True

    def _is_ancestor(self, top: int, provider: int | None) -> bool:
        while provider is not None:
            if provider == top:
                return True
            provider = self.providers[provider].parent_id
        return False

    # ---------------------------------------------------------------- answer

    def _answer(self, requests: list) -> Candidates:
        providers = self.providers
        used = {p for allocations, _m in requests for p in allocations}
        if self.request.nested:
            trees = self.ix.trees
            ids = {m for root in {providers[p].root_id for p in used} for m in trees[root]}
        else:
            ids = used
        requested = (None if self.request.all_summary_classes
                     else frozenset(self.rc_ids.values()))
        return Candidates(requests, providers, sorted(ids), requested, self.ix.rc_names)


def check_request(request: CandidateRequest) -> None:
    """Raise BadRequest for a request that cannot be evaluated."""
    suffixed = [g for g in request.groups if g.suffix]
    if not any(g.resources for g in request.groups):
        raise errors.BadRequest("At least one request group must specify resources.")
    if len(suffixed) > 1 and request.group_policy is None:
        raise errors.BadRequest(
            "The \"group_policy\" parameter is required when specifying more than one "
            "\"resources{N}\" parameter.")
    known = {g.suffix for g in request.groups}
    for suffixes in request.same_subtree:
        for suffix in suffixes:
            if suffix not in known:
                raise errors.BadRequest(
                    f"Real suffixes should be specified in same_subtree: '{suffix}' not found.")
