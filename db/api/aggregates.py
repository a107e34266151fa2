"""Host aggregates and the availability zones their metadata defines."""

from __future__ import annotations

import dataclasses
import datetime
import uuid as uuidlib
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy import exc, orm

from db import errors
from db.api.models import Aggregate, AggregateHost, AggregateMetadata
from db.base import utcnow
from db.engine import session_for

# The metadata key whose value is the availability zone of the aggregate's hosts.
AZ_KEY = "availability_zone"


@dataclasses.dataclass(frozen=True)
class AggregateRecord:
    """A live aggregate with its hosts and metadata."""

    id: int
    uuid: str
    name: str
    created_at: datetime.datetime
    updated_at: datetime.datetime | None
    hosts: tuple[str, ...]
    metadata: dict[str, str]

    @property
    def availability_zone(self) -> str | None:
        return self.metadata.get(AZ_KEY)


def _live(session: orm.Session, aggregate_id: int) -> Aggregate:
    row = session.scalar(sa.select(Aggregate).where(Aggregate.id == aggregate_id,
                                                    Aggregate.deleted == 0))
    if row is None:
        raise errors.NotFound(f"Aggregate {aggregate_id} could not be found.")
    return row


def _records(session: orm.Session, rows: Iterable[Aggregate]) -> list[AggregateRecord]:
    rows = list(rows)
    ids = [row.id for row in rows]
    hosts: dict[int, list[str]] = {i: [] for i in ids}
    metadata: dict[int, dict[str, str]] = {i: {} for i in ids}
    if ids:
        for agg_id, host in session.execute(
                sa.select(AggregateHost.aggregate_id, AggregateHost.host)
                .where(AggregateHost.aggregate_id.in_(ids)).order_by(AggregateHost.id)):
            hosts[agg_id].append(host)
        for agg_id, key, value in session.execute(
                sa.select(AggregateMetadata.aggregate_id, AggregateMetadata.key,
                          AggregateMetadata.value)
                .where(AggregateMetadata.aggregate_id.in_(ids))):
            metadata[agg_id][key] = value
    return [AggregateRecord(row.id, row.uuid, row.name, row.created_at, row.updated_at,
                            tuple(hosts[row.id]), metadata[row.id]) for row in rows]


def create(api_url: str, name: str, metadata: dict[str, str] | None = None
           ) -> AggregateRecord:
    """A new aggregate; Duplicate if a live aggregate has that name."""
    try:
        with session_for(api_url) as session:
            row = Aggregate(uuid=str(uuidlib.uuid4()), name=name)
            session.add(row)
            session.flush()
            for key, value in (metadata or {}).items():
                session.add(AggregateMetadata(aggregate_id=row.id, key=key, value=value))
            aggregate_id = row.id
    except exc.IntegrityError as error:
        raise errors.Duplicate(f"Aggregate {name} already exists.") from error
    return get(api_url, aggregate_id)


def get(api_url: str, aggregate_id: int) -> AggregateRecord:
    """The live aggregate ``aggregate_id``; NotFound otherwise."""
    with session_for(api_url) as session:
        return _records(session, [_live(session, aggregate_id)])[0]


def list_all(api_url: str) -> list[AggregateRecord]:
    """Every live aggregate, by id."""
    with session_for(api_url) as session:
        return _records(session, session.scalars(
            sa.select(Aggregate).where(Aggregate.deleted == 0).order_by(Aggregate.id)))


def of_hosts(api_url: str, hosts: Iterable[str]) -> list[AggregateRecord]:
    """The live aggregates holding any of ``hosts``."""
    hosts = list(hosts)
    if not hosts:
        return []
    with session_for(api_url) as session:
        return _records(session, session.scalars(
            sa.select(Aggregate).join(AggregateHost, AggregateHost.aggregate_id == Aggregate.id)
            .where(Aggregate.deleted == 0, AggregateHost.host.in_(hosts))
            .distinct().order_by(Aggregate.id)))


def rename(api_url: str, aggregate_id: int, name: str) -> None:
    """Give the aggregate a new name; Duplicate if a live aggregate has it."""
    try:
        with session_for(api_url) as session:
            row = _live(session, aggregate_id)
            row.name = name
            row.updated_at = utcnow()
    except exc.IntegrityError as error:
        raise errors.Duplicate(f"Aggregate {name} already exists.") from error


def update_metadata(api_url: str, aggregate_id: int,
                    changes: dict[str, str | None]) -> None:
    """Set each key of ``changes`` to its value; a None value removes the key."""
    with session_for(api_url) as session:
        row = _live(session, aggregate_id)
        existing = {m.key: m for m in session.scalars(
            sa.select(AggregateMetadata).where(AggregateMetadata.aggregate_id == row.id))}
        for key, value in changes.items():
            item = existing.get(key)
            if value is None:
                if item is not None:
                    session.delete(item)
            elif item is None:
                session.add(AggregateMetadata(aggregate_id=row.id, key=key, value=value))
            else:
                item.value = value
        row.updated_at = utcnow()


def delete(api_url: str, aggregate_id: int) -> None:
    """Soft-delete an empty aggregate (its metadata goes); Conflict if it has hosts."""
    with session_for(api_url) as session:
        row = _live(session, aggregate_id)
        if session.scalar(sa.select(sa.func.count()).select_from(AggregateHost)
                          .where(AggregateHost.aggregate_id == row.id)):
            raise errors.Conflict("Host aggregate is not empty")
        session.execute(sa.delete(AggregateMetadata)
                        .where(AggregateMetadata.aggregate_id == row.id))
        row.deleted = row.id
        row.deleted_at = utcnow()


def add_host(api_url: str, aggregate_id: int, host: str) -> None:
    """Put ``host`` in the aggregate; Duplicate if it is there already."""
    try:
        with session_for(api_url) as session:
            row = _live(session, aggregate_id)
            session.add(AggregateHost(aggregate_id=row.id, host=host))
            row.updated_at = utcnow()
    except exc.IntegrityError as error:
        raise errors.Duplicate(f"Aggregate {aggregate_id} already has host {host}.") \
            from error


def remove_host(api_url: str, aggregate_id: int, host: str) -> None:
    """Take ``host`` out of the aggregate; NotFound if it is not there."""
    with session_for(api_url) as session:
        row = _live(session, aggregate_id)
        gone = session.execute(sa.delete(AggregateHost).where(
            AggregateHost.aggregate_id == row.id, AggregateHost.host == host)).rowcount
        if not gone:
            raise errors.NotFound(f"Aggregate {aggregate_id} has no host {host}.")
        row.updated_at = utcnow()


def zone_of_hosts(api_url: str, hosts: Iterable[str] | None = None) -> dict[str, str]:
    """The availability zone of every host an aggregate with a zone holds (of ``hosts``
    only, if given); hosts left out are in the default zone."""
    query = (sa.select(AggregateHost.host, AggregateMetadata.value)
             .join(Aggregate, Aggregate.id == AggregateHost.aggregate_id)
             .join(AggregateMetadata, AggregateMetadata.aggregate_id == Aggregate.id)
             .where(Aggregate.deleted == 0, AggregateMetadata.key == AZ_KEY)
             .order_by(Aggregate.id))
    if hosts is not None:
        query = query.where(AggregateHost.host.in_(list(hosts)))
    with session_for(api_url) as session:
        # A host is in one zone (the API refuses two); the oldest aggregate wins anyway.
        found: dict[str, str] = {}
        for host, zone in session.execute(query):
            found.setdefault(host, zone)
        return found


def zone_aggregates(api_url: str, zone: str) -> list[str]:
    """The uuids of the live aggregates with hosts whose availability zone is ``zone``."""
    with session_for(api_url) as session:
        return list(session.scalars(
            sa.select(Aggregate.uuid)
            .join(AggregateMetadata, AggregateMetadata.aggregate_id == Aggregate.id)
            .where(Aggregate.deleted == 0, AggregateMetadata.key == AZ_KEY,
                   AggregateMetadata.value == zone,
                   sa.exists().where(AggregateHost.aggregate_id == Aggregate.id))
            .order_by(Aggregate.id)))
