"""Parsed filters shared by provider listing and allocation candidates, and their SQL."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from placement.objects.base import AGG, ALLOC, INV, RP, RP_AGG, RP_TRAIT, TRAIT


@dataclasses.dataclass
class TraitFilter:
    """Traits a provider (or a set of providers) must, may not, or must partly have."""

    required: set[str] = dataclasses.field(default_factory=set)
    forbidden: set[str] = dataclasses.field(default_factory=set)
    any_of: list[set[str]] = dataclasses.field(default_factory=list)

    def names(self) -> set[str]:
        """Every trait the filter mentions."""
        return self.required | self.forbidden | set().union(*self.any_of)

    def __bool__(self) -> bool:
        return bool(self.required or self.forbidden or self.any_of)

    def satisfied_by(self, traits: set[str]) -> bool:
        """True when a provider (or a union of providers) with ``traits`` matches."""
        return (self.required <= traits and not self.forbidden & traits
                and all(group & traits for group in self.any_of))


@dataclasses.dataclass
class AggregateFilter:
    """member_of: each any_of set must be hit; no forbidden aggregate may be."""

    any_of: list[set[str]] = dataclasses.field(default_factory=list)
    forbidden: set[str] = dataclasses.field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.any_of or self.forbidden)


def providers_in_aggregates(aggregates: set[str]) -> sa.Select:
    """Ids of providers that are members of any of ``aggregates``."""
    return (sa.select(RP_AGG.c.resource_provider_id)
            .join(AGG, AGG.c.id == RP_AGG.c.aggregate_id)
            .where(AGG.c.uuid.in_(sorted(aggregates))))


def providers_with_traits(traits: set[str]) -> sa.Select:
    """Ids of providers having any of ``traits``."""
    return (sa.select(RP_TRAIT.c.resource_provider_id)
            .join(TRAIT, TRAIT.c.id == RP_TRAIT.c.trait_id)
            .where(TRAIT.c.name.in_(sorted(traits))))


def aggregate_clauses(column: sa.ColumnElement, aggs: AggregateFilter) -> list:
    """WHERE clauses keeping ids in ``column`` that pass ``aggs``."""
    clauses = [column.in_(providers_in_aggregates(group)) for group in aggs.any_of]
    if aggs.forbidden:
        clauses.append(column.not_in(providers_in_aggregates(aggs.forbidden)))
    return clauses


def trait_clauses(column: sa.ColumnElement, traits: TraitFilter) -> list:
    """WHERE clauses keeping provider ids in ``column`` that pass ``traits`` alone."""
    clauses = [column.in_(providers_with_traits({name})) for name in sorted(traits.required)]
    clauses += [column.in_(providers_with_traits(group)) for group in traits.any_of]
    if traits.forbidden:
        clauses.append(column.not_in(providers_with_traits(traits.forbidden)))
    return clauses


def usage_subquery(rc_id: int) -> sa.Subquery:
    """Total used of class ``rc_id`` per provider."""
    return (sa.select(ALLOC.c.resource_provider_id, sa.func.sum(ALLOC.c.used).label("used"))
            .where(ALLOC.c.resource_class_id == rc_id)
            .group_by(ALLOC.c.resource_provider_id).subquery())


def capacity_clauses(rc_id: int, amount: int, used: sa.Subquery) -> list:
    """WHERE clauses on INV (joined to ``used``) for ``amount`` more of ``rc_id``."""
    used_now = sa.func.coalesce(used.c.used, 0)
    return [
        INV.c.resource_class_id == rc_id,
        (INV.c.total - INV.c.reserved) * INV.c.allocation_ratio >= used_now + amount,
        INV.c.min_unit <= amount,
        INV.c.max_unit >= amount,
        sa.literal(amount) % INV.c.step_size == 0,
    ]


def providers_with_capacity(rc_id: int, amount: int) -> sa.Select:
    """Ids of providers that can take ``amount`` more of class ``rc_id``."""
    used = usage_subquery(rc_id)
    return (sa.select(INV.c.resource_provider_id)
            .outerjoin(used, used.c.resource_provider_id == INV.c.resource_provider_id)
            .where(*capacity_clauses(rc_id, amount, used)))


def tree_of(uuid: str) -> sa.ScalarSelect:
    """The root id of the tree holding provider ``uuid`` (NULL if unknown)."""
    return sa.select(RP.c.root_provider_id).where(RP.c.uuid == uuid).scalar_subquery()
