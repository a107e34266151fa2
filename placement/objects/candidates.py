"""Allocation candidates: every way a request could be satisfied, set-based.

All SQL of GET /allocation_candidates lives here so it can be tuned in one place.
The plan: one query per (request group, resource class) finds the providers that
could take the amount (capacity, units, aggregates, trees, provider traits); one
query loads the trees those providers belong to; one each loads inventories and
usage, traits and aggregates of those trees. Combining groups within each tree
happens in memory, per tree.
"""

from __future__ import annotations

import collections
import dataclasses
import itertools

import sqlalchemy as sa

from placement import errors
from placement.objects import filters, resource_class, trait
from placement.objects.base import ALLOC, INV, RP, transaction

_ROOT = RP.alias("cand_root")


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
class Provider:
    """What the combination step knows of one provider."""

    id: int
    uuid: str
    parent_id: int | None
    root_id: int


@dataclasses.dataclass
class Candidates:
    """The answer: allocation requests and the providers they mention."""

    # Each request: (allocations {provider id: {class: amount}}, mappings {suffix: [ids]}).
    requests: list[tuple[dict[int, dict[str, int]], dict[str, list[int]]]]
    providers: dict[int, Provider]
    summaries: dict[int, dict]


# A group's way to be met in one tree: (providers it maps to, ((provider, class, amount), ...)).
Piece = tuple[tuple[int, ...], tuple[tuple[int, str, int], ...]]


def find(url: str, request: CandidateRequest) -> Candidates:
    """Every allocation request meeting ``request``, with provider summaries."""
    with transaction(url) as conn:
        names = {rc for g in request.groups for rc in g.resources}
        rc_ids = resource_class.ids_for(conn, names)
        matches = {g.suffix: _matches(conn, g, rc_ids) for g in _placed_groups(request)}
        roots = _common_roots(matches, request)
        if not roots:
            return Candidates([], {}, {})
        providers = _tree_providers(conn, roots)
        roots = _filter_roots(conn, roots, request, providers)
        stock = _stock(conn, sorted(providers))
        traits = trait.traits_of(conn, sorted(providers))
        rc_names = resource_class.id_to_name(conn)
    combiner = _Combiner(request, providers, stock, traits, rc_ids)
    requests = combiner.combine(matches, sorted(roots))
    used_ids = _summary_ids(requests, providers, request.nested)
    summaries = _summaries(used_ids, stock, traits, rc_names, names, request)
    return Candidates(requests, providers, summaries)


def _placed_groups(request: CandidateRequest) -> list[RequestGroup]:
    """Groups that are met by providers: those with resources, and suffixed ones."""
    return [g for g in request.groups if g.resources or g.suffix]


def _matches(conn: sa.Connection, group: RequestGroup,
             rc_ids: dict[str, int]) -> dict[str, dict[int, int]]:
    """For each class of ``group``: {provider id: root id} of providers able to give it.

    A resourceless group (1.36) gets one entry, "", of the providers passing its filters.
    """
    if not group.resources:
        query = sa.select(RP.c.id, RP.c.root_provider_id).where(*_group_clauses(group))
        return {"": dict(conn.execute(query).all())}
    result = {}
    for rc, amount in sorted(group.resources.items()):
        used = filters.usage_subquery(rc_ids[rc])
        query = (sa.select(INV.c.resource_provider_id, RP.c.root_provider_id)
                 .join(RP, RP.c.id == INV.c.resource_provider_id)
                 .outerjoin(used, used.c.resource_provider_id == INV.c.resource_provider_id)
                 .where(*filters.capacity_clauses(rc_ids[rc], amount, used)))
        query = query.where(*_group_clauses(group))
        result[rc] = dict(conn.execute(query).all())
    return result


def _group_clauses(group: RequestGroup) -> list:
    """Filters of a group that hold for each provider on its own."""
    clauses = []
    if group.in_tree is not None:
        clauses.append(RP.c.root_provider_id == filters.tree_of(group.in_tree))
    # A provider counts as a member of its root's aggregates too (nested trees).
    own = filters.aggregate_clauses(RP.c.id, group.member_of)
    via_root = filters.aggregate_clauses(RP.c.root_provider_id, group.member_of)
    clauses += [sa.or_(a, b) for a, b in zip(own, via_root, strict=True)]
    if group.traits.forbidden:
        clauses += filters.trait_clauses(RP.c.id, filters.TraitFilter(
            forbidden=group.traits.forbidden))
    if group.suffix:
        clauses += filters.trait_clauses(RP.c.id, filters.TraitFilter(
            required=group.traits.required, any_of=group.traits.any_of))
    return clauses


def _common_roots(matches: dict[str, dict[str, dict[int, int]]],
                  request: CandidateRequest) -> set[int]:
    """Roots of trees in which every group with resources finds every class."""
    roots: set[int] | None = None
    for by_class in matches.values():
        for providers in by_class.values():
            found = set(providers.values())
            roots = found if roots is None else roots & found
    return roots or set()


def _tree_providers(conn: sa.Connection, roots: set[int]) -> dict[int, Provider]:
    rows = conn.execute(sa.select(RP.c.id, RP.c.uuid, RP.c.parent_provider_id,
                                  RP.c.root_provider_id)
                        .where(RP.c.root_provider_id.in_(sorted(roots)))).all()
    return {r.id: Provider(r.id, r.uuid, r.parent_provider_id, r.root_provider_id)
            for r in rows}


def _filter_roots(conn: sa.Connection, roots: set[int], request: CandidateRequest,
                  providers: dict[int, Provider]) -> set[int]:
    """Apply root_required, and the filters of an unsuffixed group without resources."""
    unsuffixed = _unsuffixed(request)
    if unsuffixed is not None and not unsuffixed.resources:
        query = sa.select(RP.c.id).where(RP.c.id.in_(sorted(roots)),
                                         *_group_clauses(unsuffixed))
        roots = set(conn.execute(query).scalars())
    if request.root_traits:
        root_traits = trait.traits_of(conn, sorted(roots))
        roots = {r for r in roots if request.root_traits.satisfied_by(root_traits[r])}
    return roots


def _unsuffixed(request: CandidateRequest) -> RequestGroup | None:
    return next((g for g in request.groups if not g.suffix), None)


def _stock(conn: sa.Connection, provider_ids: list[int]) -> dict[int, dict[int, dict]]:
    """Inventory and usage: {provider id: {class id: {capacity, used, units...}}}."""
    used = (sa.select(ALLOC.c.resource_provider_id, ALLOC.c.resource_class_id,
                      sa.func.sum(ALLOC.c.used).label("used"))
            .where(ALLOC.c.resource_provider_id.in_(provider_ids))
            .group_by(ALLOC.c.resource_provider_id, ALLOC.c.resource_class_id).subquery())
    rows = conn.execute(
        sa.select(INV, sa.func.coalesce(used.c.used, 0).label("used"))
        .outerjoin(used, sa.and_(used.c.resource_provider_id == INV.c.resource_provider_id,
                                 used.c.resource_class_id == INV.c.resource_class_id))
        .where(INV.c.resource_provider_id.in_(provider_ids))).all()
    stock: dict[int, dict[int, dict]] = collections.defaultdict(dict)
    for r in rows:
        stock[r.resource_provider_id][r.resource_class_id] = {
            "capacity": int((r.total - r.reserved) * r.allocation_ratio),
            "used": int(r.used)}
    return stock


class _Combiner:
    """Combines the groups' pieces tree by tree into allocation requests."""

    def __init__(self, request: CandidateRequest, providers: dict[int, Provider],
                 stock: dict[int, dict[int, dict]], traits: dict[int, set[str]],
                 rc_ids: dict[str, int]) -> None:
        self.request = request
        self.providers = providers
        self.stock = stock
        self.traits = traits
        self.rc_ids = rc_ids

    def combine(self, matches: dict[str, dict[str, dict[int, int]]], roots: list[int],
                ) -> list[tuple[dict[int, dict[str, int]], dict[str, list[int]]]]:
        results: list = []
        seen: set = set()
        groups = _placed_groups(self.request)
        for root in roots:
            per_group = [self._pieces(g, matches[g.suffix], root) for g in groups]
            for combo in itertools.product(*per_group):
                found = self._candidate(groups, combo)
                if found is None:
                    continue
                key = (repr(sorted((p, sorted(r.items())) for p, r in found[0].items())),
                       repr(sorted(found[1].items())))
                if key in seen:
                    continue
                seen.add(key)
                results.append(found)
                if self.request.limit and len(results) >= self.request.limit:
                    return results
        return results

    def _pieces(self, group: RequestGroup, by_class: dict[str, dict[int, int]],
                root: int) -> list[Piece]:
        """The ways ``group`` can be met inside the tree of ``root``."""
        in_tree = {rc: sorted(p for p, r in providers.items() if r == root)
                   for rc, providers in by_class.items()}
        classes = sorted(group.resources)
        if not classes:
            return [((p,), ()) for p in in_tree[""]]
        if group.suffix or not self.request.nested:
            # One provider gives everything the group asks for.
            common = set.intersection(*(set(in_tree[rc]) for rc in classes))
            return [((p,), tuple((p, rc, group.resources[rc]) for rc in classes))
                    for p in sorted(common)]
        pieces = []
        for choice in itertools.product(*(in_tree[rc] for rc in classes)):
            amounts = tuple((p, rc, group.resources[rc])
                            for p, rc in zip(choice, classes, strict=True))
            pieces.append((tuple(sorted(set(choice))), amounts))
        return pieces

    def _candidate(self, groups: list[RequestGroup], combo: tuple[Piece, ...]):
        allocations: dict[int, dict[str, int]] = collections.defaultdict(dict)
        mappings: dict[str, list[int]] = {}
        for group, (mapped, amounts) in zip(groups, combo, strict=True):
            mappings[group.suffix] = list(mapped)
            for provider, rc, amount in amounts:
                allocations[provider][rc] = allocations[provider].get(rc, 0) + amount
        if not (self._isolated(groups, mappings) and self._fits(allocations)
                and self._traits_ok(allocations, mappings)
                and self._same_subtree_ok(mappings)):
            return None
        return dict(allocations), mappings

    def _isolated(self, groups: list[RequestGroup], mappings: dict[str, list[int]]) -> bool:
        if self.request.group_policy != "isolate":
            return True
        used = [p for g in groups if g.suffix for p in mappings[g.suffix]]
        return len(used) == len(set(used))

    def _fits(self, allocations: dict[int, dict[str, int]]) -> bool:
        # Each class was checked alone in SQL; a provider serving several groups
        # must also have room for their sum.
        for provider, resources in allocations.items():
            for rc, amount in resources.items():
                entry = self.stock[provider].get(self.rc_ids[rc])
                if entry is None or entry["used"] + amount > entry["capacity"]:
                    return False
        return True

    def _traits_ok(self, allocations: dict[int, dict[str, int]],
                   mappings: dict[str, list[int]]) -> bool:
        unsuffixed = _unsuffixed(self.request)
        if unsuffixed is None or not unsuffixed.traits:
            return True
        providers = mappings.get("") if unsuffixed.resources else list(allocations)
        union = set().union(*(self.traits[p] for p in providers or []))
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


def _summary_ids(requests: list, providers: dict[int, Provider], nested: bool) -> set[int]:
    """Providers to summarise: those allocated from, and from 1.29 their whole trees."""
    used = {p for allocations, _m in requests for p in allocations}
    if not nested:
        return used
    roots = {providers[p].root_id for p in used}
    return {p for p, info in providers.items() if info.root_id in roots}


def _summaries(provider_ids: set[int], stock: dict[int, dict[int, dict]],
               traits: dict[int, set[str]], rc_names: dict[int, str], requested: set[str],
               request: CandidateRequest) -> dict[int, dict]:
    summaries = {}
    for provider in sorted(provider_ids):
        resources = {rc_names[rc]: dict(entry) for rc, entry in stock[provider].items()
                     if request.all_summary_classes or rc_names[rc] in requested}
        summaries[provider] = {"resources": resources, "traits": sorted(traits[provider])}
    return summaries


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
