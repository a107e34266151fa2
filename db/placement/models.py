"""Tables of the placement database.

Standard resource classes are not stored: their ids are their index in
``os_resource_classes.STANDARDS``; custom classes live in ``resource_classes`` with
ids from ``CUSTOM_RC_ID_BASE`` up, so the two ranges never meet.
"""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from db.base import NAMING_CONVENTION, UUID, DateTime, TimestampMixin, utcnow

CUSTOM_RC_ID_BASE = 10000


class Base(orm.DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class ResourceProvider(TimestampMixin, Base):
    """A provider of resources: a compute node, a NUMA cell, a shared pool..."""

    __tablename__ = "resource_providers"
    __table_args__ = (
        sa.Index("ix_resource_providers_root_provider_id", "root_provider_id"),
        sa.Index("ix_resource_providers_parent_provider_id", "parent_provider_id"),
    )
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    uuid: orm.Mapped[str] = orm.mapped_column(UUID, unique=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(200), unique=True)
    generation: orm.Mapped[int] = orm.mapped_column(default=0)
    # No foreign keys on the tree columns: a root points at itself, and the code
    # keeps the tree consistent inside the transaction that changes it.
    root_provider_id: orm.Mapped[int | None] = orm.mapped_column()
    parent_provider_id: orm.Mapped[int | None] = orm.mapped_column()


class Inventory(TimestampMixin, Base):
    """How much of one resource class a provider has, and how it may be consumed."""

    __tablename__ = "inventories"
    __table_args__ = (
        sa.UniqueConstraint("resource_provider_id", "resource_class_id"),
        sa.Index("ix_inventories_resource_class_id", "resource_class_id"),
    )
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    resource_provider_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("resource_providers.id"))
    resource_class_id: orm.Mapped[int] = orm.mapped_column()
    total: orm.Mapped[int] = orm.mapped_column(sa.BigInteger)
    reserved: orm.Mapped[int] = orm.mapped_column(sa.BigInteger)
    min_unit: orm.Mapped[int] = orm.mapped_column(sa.BigInteger)
    max_unit: orm.Mapped[int] = orm.mapped_column(sa.BigInteger)
    step_size: orm.Mapped[int] = orm.mapped_column(sa.BigInteger)
    allocation_ratio: orm.Mapped[float] = orm.mapped_column(sa.Float)


class ResourceClass(TimestampMixin, Base):
    """A custom (CUSTOM_*) resource class."""

    __tablename__ = "resource_classes"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True, autoincrement=False)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), unique=True)


class Trait(TimestampMixin, Base):
    """A qualitative characteristic: standard ones from os-traits, or CUSTOM_*."""

    __tablename__ = "traits"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), unique=True)


class ResourceProviderTrait(TimestampMixin, Base):
    """A trait a provider has."""

    __tablename__ = "resource_provider_traits"
    __table_args__ = (sa.Index("ix_resource_provider_traits_trait_id", "trait_id"),)
    resource_provider_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("resource_providers.id"), primary_key=True)
    trait_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("traits.id"), primary_key=True)


class PlacementAggregate(TimestampMixin, Base):
    """An aggregate, known only by its uuid."""

    __tablename__ = "placement_aggregates"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    uuid: orm.Mapped[str] = orm.mapped_column(UUID, unique=True)


class ResourceProviderAggregate(TimestampMixin, Base):
    """A provider's membership of an aggregate."""

    __tablename__ = "resource_provider_aggregates"
    __table_args__ = (
        sa.Index("ix_resource_provider_aggregates_aggregate_id", "aggregate_id"),)
    resource_provider_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("resource_providers.id"), primary_key=True)
    aggregate_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("placement_aggregates.id"), primary_key=True)


class Project(TimestampMixin, Base):
    """A project that owns consumers."""

    __tablename__ = "projects"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    external_id: orm.Mapped[str] = orm.mapped_column(sa.String(255), unique=True)


class User(TimestampMixin, Base):
    """A user that owns consumers."""

    __tablename__ = "users"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    external_id: orm.Mapped[str] = orm.mapped_column(sa.String(255), unique=True)


class ConsumerType(TimestampMixin, Base):
    """A kind of consumer (INSTANCE, MIGRATION, ...), from microversion 1.38."""

    __tablename__ = "consumer_types"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), unique=True)


class Consumer(TimestampMixin, Base):
    """Something that holds allocations; its generation guards concurrent writers."""

    __tablename__ = "consumers"
    __table_args__ = (
        sa.Index("ix_consumers_project_id_user_id", "project_id", "user_id"),)
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    uuid: orm.Mapped[str] = orm.mapped_column(UUID, unique=True)
    project_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("projects.id"))
    user_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("users.id"))
    generation: orm.Mapped[int] = orm.mapped_column(default=0)
    consumer_type_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("consumer_types.id"))


class Allocation(TimestampMixin, Base):
    """An amount of one class of one provider used by one consumer."""

    __tablename__ = "allocations"
    __table_args__ = (
        sa.Index("ix_allocations_resource_provider_id_resource_class_id_used",
                 "resource_provider_id", "resource_class_id", "used"),
        sa.Index("ix_allocations_consumer_id", "consumer_id"),
    )
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    resource_provider_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("resource_providers.id"))
    consumer_id: orm.Mapped[str] = orm.mapped_column(UUID)
    resource_class_id: orm.Mapped[int] = orm.mapped_column()
    used: orm.Mapped[int] = orm.mapped_column(sa.BigInteger)


class ProviderChange(Base):
    """One committed change of a provider (NULL: of the class or trait catalogue).

    Every write that changes what allocation candidates could answer adds a row in
    its own transaction; each worker's candidate index reads the rows past the last
    one it applied and reloads only those providers. Rows are pruned after a while.
    """

    __tablename__ = "provider_changes"
    id: orm.Mapped[int] = orm.mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    resource_provider_id: orm.Mapped[int | None] = orm.mapped_column()
    # True when only the provider's usage changed (a claim or a release).
    usage_only: orm.Mapped[bool] = orm.mapped_column(default=False, server_default=sa.false())
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(
        DateTime, default=utcnow, nullable=False)
