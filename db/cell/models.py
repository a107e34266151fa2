"""Tables of a cell database."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from db.base import NAMING_CONVENTION, UUID, DateTime, TimestampMixin, utcnow


class Base(orm.DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Instance(TimestampMixin, Base):
    """A server. ``deleted`` is 0 while it exists and its id once soft-deleted.

    ``created_at`` is copied from the instance mapping so the cells and the API DB
    agree on the default sort order.
    """

    __tablename__ = "instances"
    __table_args__ = (sa.Index("ix_instances_project_created", "project_id", "created_at"),)
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    uuid: orm.Mapped[str] = orm.mapped_column(UUID, unique=True)
    project_id: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    user_id: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    display_name: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    host: orm.Mapped[str | None] = orm.mapped_column(sa.String(255), index=True)
    node: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    flavor: orm.Mapped[dict] = orm.mapped_column(sa.JSON)
    image_ref: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    vm_state: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    task_state: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    power_state: orm.Mapped[int] = orm.mapped_column(default=0)
    availability_zone: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    metadata_items: orm.Mapped[dict] = orm.mapped_column(sa.JSON, default=dict)
    launched_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(DateTime)
    terminated_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(DateTime)
    deleted_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(DateTime)
    deleted: orm.Mapped[int] = orm.mapped_column(default=0)
    # Lock: who locked it ("owner" or "admin", as Nova records it) and why (2.73).
    locked: orm.Mapped[bool] = orm.mapped_column(default=False, server_default=sa.false())
    locked_by: orm.Mapped[str | None] = orm.mapped_column(sa.String(5))
    locked_reason: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    # What Nova's instance row keeps and its lists filter and sort by. The API DB's
    # request spec keeps the key name, description and hostname too (the views read
    # them there); every writer of those keeps both in step.
    hostname: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    key_name: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    display_description: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    access_ip_v4: orm.Mapped[str | None] = orm.mapped_column(sa.String(39))
    access_ip_v6: orm.Mapped[str | None] = orm.mapped_column(sa.String(39))
    # "True" if a config drive was asked for at create, else "" (Nova's values).
    config_drive: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    progress: orm.Mapped[int | None] = orm.mapped_column()


class InstanceFault(Base):
    """Why an instance went to ERROR."""

    __tablename__ = "instance_faults"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    instance_uuid: orm.Mapped[str] = orm.mapped_column(UUID, index=True)
    code: orm.Mapped[int]
    message: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    details: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(DateTime, default=utcnow)


class InstanceAction(Base):
    """One user-visible action on an instance (create, stop, reboot, ...)."""

    __tablename__ = "instance_actions"
    __table_args__ = (sa.UniqueConstraint("instance_uuid", "request_id", "action"),)
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    instance_uuid: orm.Mapped[str] = orm.mapped_column(UUID, index=True)
    action: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    request_id: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    user_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    project_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    start_time: orm.Mapped[datetime.datetime] = orm.mapped_column(DateTime, default=utcnow)
    finish_time: orm.Mapped[datetime.datetime | None] = orm.mapped_column(DateTime)
    message: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    events: orm.Mapped[list[InstanceActionEvent]] = orm.relationship(
        cascade="all, delete-orphan", lazy="selectin")


class InstanceActionEvent(Base):
    """One step of an action, as the conductor saw it."""

    __tablename__ = "instance_actions_events"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    action_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("instance_actions.id", ondelete="CASCADE"))
    event: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    host: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    start_time: orm.Mapped[datetime.datetime] = orm.mapped_column(DateTime, default=utcnow)
    finish_time: orm.Mapped[datetime.datetime | None] = orm.mapped_column(DateTime)
    result: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    traceback: orm.Mapped[str | None] = orm.mapped_column(sa.Text)


class Service(TimestampMixin, Base):
    """A running Cellar process of this cell (a compute agent, a conductor)."""

    __tablename__ = "services"
    __table_args__ = (sa.UniqueConstraint("host", "binary"),)
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    uuid: orm.Mapped[str] = orm.mapped_column(UUID, unique=True)
    host: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    binary: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    report_count: orm.Mapped[int] = orm.mapped_column(default=0)
    disabled: orm.Mapped[bool] = orm.mapped_column(default=False)
    disabled_reason: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    forced_down: orm.Mapped[bool] = orm.mapped_column(default=False)
    version: orm.Mapped[int] = orm.mapped_column(default=0)
    last_seen_up: orm.Mapped[datetime.datetime | None] = orm.mapped_column(DateTime)


class ComputeNode(TimestampMixin, Base):
    """The hypervisor of one host; its uuid is its resource provider's uuid."""

    __tablename__ = "compute_nodes"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    uuid: orm.Mapped[str] = orm.mapped_column(UUID, unique=True)
    host: orm.Mapped[str] = orm.mapped_column(sa.String(255), unique=True)
    hypervisor_hostname: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    hypervisor_type: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    vcpus: orm.Mapped[int]
    memory_mb: orm.Mapped[int]
    local_gb: orm.Mapped[int]
    rpc_address: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    service_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("services.id"))


class Tag(Base):
    """A tag on an instance; at most one of each per instance."""

    __tablename__ = "tags"
    instance_uuid: orm.Mapped[str] = orm.mapped_column(UUID, primary_key=True)
    tag: orm.Mapped[str] = orm.mapped_column(sa.String(80), primary_key=True)


class Migration(TimestampMixin, Base):
    """One move of an instance between hosts (os-migrations); written by the moves."""

    __tablename__ = "migrations"
    __table_args__ = (sa.Index("ix_migrations_created_at_id", "created_at", "id"),)
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    uuid: orm.Mapped[str] = orm.mapped_column(UUID, unique=True)
    instance_uuid: orm.Mapped[str] = orm.mapped_column(UUID, index=True)
    source_compute: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    source_node: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    dest_compute: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    dest_node: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    dest_host: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    old_flavor_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    new_flavor_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    status: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    migration_type: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    hidden: orm.Mapped[bool] = orm.mapped_column(default=False)
    user_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    project_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
