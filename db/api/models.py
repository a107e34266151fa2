"""Tables of the global API database."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from db.base import NAMING_CONVENTION, UUID, DateTime, TimestampMixin


class Base(orm.DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class CellMapping(TimestampMixin, Base):
    """Where a cell's database and task stream live."""

    __tablename__ = "cell_mappings"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    uuid: orm.Mapped[str] = orm.mapped_column(UUID, unique=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), unique=True)
    database_connection: orm.Mapped[str] = orm.mapped_column(sa.Text)
    queue_url: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    disabled: orm.Mapped[bool] = orm.mapped_column(default=False)


class HostMapping(TimestampMixin, Base):
    """Which cell a compute host belongs to."""

    __tablename__ = "host_mappings"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    host: orm.Mapped[str] = orm.mapped_column(sa.String(255), unique=True)
    cell_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("cell_mappings.id"))


class InstanceMapping(TimestampMixin, Base):
    """Which cell holds an instance (NULL while it is being scheduled).

    ``created_at`` is the server's creation time and, with the uuid, the default sort
    key of a server list, so a page can be chosen here without asking the cells.
    """

    __tablename__ = "instance_mappings"
    __table_args__ = (
        sa.Index("ix_instance_mappings_project_created", "project_id", "created_at",
                 "instance_uuid"),
        sa.Index("ix_instance_mappings_created", "created_at", "instance_uuid"),
    )
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    instance_uuid: orm.Mapped[str] = orm.mapped_column(UUID, unique=True)
    cell_id: orm.Mapped[int | None] = orm.mapped_column(sa.ForeignKey("cell_mappings.id"))
    project_id: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    user_id: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    queued_for_delete: orm.Mapped[bool] = orm.mapped_column(default=False)


class BuildRequest(TimestampMixin, Base):
    """A server the API accepted and no cell holds yet."""

    __tablename__ = "build_requests"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    instance_uuid: orm.Mapped[str] = orm.mapped_column(UUID, unique=True)
    project_id: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    user_id: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    instance: orm.Mapped[dict] = orm.mapped_column(sa.JSON)


class RequestSpec(TimestampMixin, Base):
    """What the scheduler needs to place an instance: flavor, image, hints."""

    __tablename__ = "request_specs"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    instance_uuid: orm.Mapped[str] = orm.mapped_column(UUID, unique=True)
    spec: orm.Mapped[dict] = orm.mapped_column(sa.JSON)


class Flavor(TimestampMixin, Base):
    """A size of server."""

    __tablename__ = "flavors"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    flavorid: orm.Mapped[str] = orm.mapped_column(sa.String(255), unique=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), unique=True)
    memory_mb: orm.Mapped[int]
    vcpus: orm.Mapped[int]
    root_gb: orm.Mapped[int] = orm.mapped_column(default=0)
    ephemeral_gb: orm.Mapped[int] = orm.mapped_column(default=0)
    swap: orm.Mapped[int] = orm.mapped_column(default=0)
    rxtx_factor: orm.Mapped[float] = orm.mapped_column(default=1.0)
    disabled: orm.Mapped[bool] = orm.mapped_column(default=False)
    is_public: orm.Mapped[bool] = orm.mapped_column(default=True)
    description: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    extra_specs: orm.Mapped[list[FlavorExtraSpec]] = orm.relationship(
        cascade="all, delete-orphan", lazy="selectin")


class FlavorExtraSpec(Base):
    """A key/value that refines where and how a flavor's servers run."""

    __tablename__ = "flavor_extra_specs"
    __table_args__ = (sa.UniqueConstraint("flavor_id", "key"),)
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    flavor_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("flavors.id", ondelete="CASCADE"))
    key: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    value: orm.Mapped[str] = orm.mapped_column(sa.String(255))


class Image(TimestampMixin, Base):
    """An image in the platform's own minimal registry."""

    __tablename__ = "images"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    uuid: orm.Mapped[str] = orm.mapped_column(UUID, unique=True)
    name: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    status: orm.Mapped[str] = orm.mapped_column(sa.String(32), default="queued")
    disk_format: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    container_format: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    min_disk: orm.Mapped[int] = orm.mapped_column(default=0)
    min_ram: orm.Mapped[int] = orm.mapped_column(default=0)
    size: orm.Mapped[int | None] = orm.mapped_column(sa.BigInteger)
    checksum: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    visibility: orm.Mapped[str] = orm.mapped_column(sa.String(16), default="public")
    owner: orm.Mapped[str | None] = orm.mapped_column(sa.String(255), index=True)
    properties: orm.Mapped[dict] = orm.mapped_column(sa.JSON, default=dict)
    protected: orm.Mapped[bool] = orm.mapped_column(default=False, server_default=sa.false())
    os_hidden: orm.Mapped[bool] = orm.mapped_column(default=False, server_default=sa.false())
    os_hash_algo: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    os_hash_value: orm.Mapped[str | None] = orm.mapped_column(sa.String(128))


class ImageTag(Base):
    """One tag of an image (the image service's ``tags``); unique per image."""

    __tablename__ = "image_tags"
    __table_args__ = (sa.UniqueConstraint("image_id", "value"),)
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    image_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("images.id", ondelete="CASCADE"))
    value: orm.Mapped[str] = orm.mapped_column(sa.String(255))



class KeyPair(TimestampMixin, Base):
    """A public key a user injects into servers; names are unique per user."""

    __tablename__ = "key_pairs"
    __table_args__ = (sa.UniqueConstraint("user_id", "name"),)
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    user_id: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    project_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    fingerprint: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    public_key: orm.Mapped[str] = orm.mapped_column(sa.Text)
    type: orm.Mapped[str] = orm.mapped_column(sa.String(16), default="ssh")


class ServerGroup(TimestampMixin, Base):
    """A set of servers the scheduler places together or apart."""

    __tablename__ = "server_groups"
    __table_args__ = (sa.Index("ix_server_groups_project_id", "project_id"),)
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    uuid: orm.Mapped[str] = orm.mapped_column(UUID, unique=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    project_id: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    user_id: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    policy: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    rules: orm.Mapped[dict] = orm.mapped_column(sa.JSON, default=dict)


class ServerGroupMember(TimestampMixin, Base):
    """A server in a server group."""

    __tablename__ = "server_group_members"
    __table_args__ = (sa.UniqueConstraint("group_id", "instance_uuid"),
                      sa.Index("ix_server_group_members_instance_uuid", "instance_uuid"))
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    group_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("server_groups.id", ondelete="CASCADE"))
    instance_uuid: orm.Mapped[str] = orm.mapped_column(UUID)


class Quota(TimestampMixin, Base):
    """A project's limit of one resource, where it differs from the default."""

    __tablename__ = "quotas"
    __table_args__ = (sa.UniqueConstraint("project_id", "resource"),)
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    project_id: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    resource: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    hard_limit: orm.Mapped[int]


class FlavorProject(Base):
    """A project allowed to use a private flavor (flavor access)."""

    __tablename__ = "flavor_projects"
    __table_args__ = (sa.UniqueConstraint("flavor_id", "project_id"),)
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    flavor_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("flavors.id", ondelete="CASCADE"))
    project_id: orm.Mapped[str] = orm.mapped_column(sa.String(255))


class Aggregate(TimestampMixin, Base):
    """A named group of compute hosts; its ``availability_zone`` metadata makes a zone.

    Deleting one keeps the row: ``deleted`` becomes its id (0 while live), so a name is
    unique among live aggregates and free again once its holder is deleted.
    """

    __tablename__ = "aggregates"
    __table_args__ = (sa.UniqueConstraint("name", "deleted"),)
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    uuid: orm.Mapped[str] = orm.mapped_column(UUID, unique=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    deleted: orm.Mapped[int] = orm.mapped_column(default=0, server_default="0")
    deleted_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(DateTime)


class AggregateHost(Base):
    """A compute host (by name) in an aggregate."""

    __tablename__ = "aggregate_hosts"
    __table_args__ = (sa.UniqueConstraint("aggregate_id", "host"),
                      sa.Index("ix_aggregate_hosts_host", "host"))
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    aggregate_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("aggregates.id", ondelete="CASCADE"))
    host: orm.Mapped[str] = orm.mapped_column(sa.String(255))


class AggregateMetadata(Base):
    """A key/value of an aggregate (``availability_zone`` among them)."""

    __tablename__ = "aggregate_metadata"
    __table_args__ = (sa.UniqueConstraint("aggregate_id", "key"),
                      sa.Index("ix_aggregate_metadata_key", "key"))
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    aggregate_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("aggregates.id", ondelete="CASCADE"))
    key: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    value: orm.Mapped[str] = orm.mapped_column(sa.String(255))


class FixedIp(TimestampMixin, Base):
    """An address of a provider network held by an instance (IPAM, global to every cell).

    The unique key on (network, address) is what makes two allocators racing for the
    same address safe: the loser's insert fails and it picks another one.
    """

    __tablename__ = "fixed_ips"
    __table_args__ = (sa.UniqueConstraint("network_uuid", "address"),
                      sa.UniqueConstraint("instance_uuid", "network_uuid"))
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    network_uuid: orm.Mapped[str] = orm.mapped_column(UUID)
    address: orm.Mapped[str] = orm.mapped_column(sa.String(39))
    instance_uuid: orm.Mapped[str] = orm.mapped_column(UUID)
    mac_address: orm.Mapped[str] = orm.mapped_column(sa.String(17))
