"""Shared pieces of the placement domain layer: tables, transactions, lookups."""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from db import engine as db_engine
from db.base import utcnow
from db.placement import models
from placement import errors

T = TypeVar("T")

RP = models.ResourceProvider.__table__
INV = models.Inventory.__table__
RC = models.ResourceClass.__table__
TRAIT = models.Trait.__table__
RP_TRAIT = models.ResourceProviderTrait.__table__
AGG = models.PlacementAggregate.__table__
RP_AGG = models.ResourceProviderAggregate.__table__
ALLOC = models.Allocation.__table__
CONSUMER = models.Consumer.__table__
PROJECT = models.Project.__table__
USER = models.User.__table__
CONSUMER_TYPE = models.ConsumerType.__table__
CHANGES = models.ProviderChange.__table__

# MySQL errors worth a fresh transaction: deadlock, lock wait timeout.
_RETRYABLE_MYSQL = {1205, 1213}


@contextlib.contextmanager
def transaction(url: str) -> Iterator[sa.Connection]:
    """One database transaction: committed on success, rolled back on error."""
    with db_engine.get_engine(url).begin() as conn:
        yield conn


def _retryable(exc: sa_exc.OperationalError) -> bool:
    orig = exc.orig
    code = orig.args[0] if orig is not None and orig.args else None
    if code in _RETRYABLE_MYSQL:
        return True
    # SQLite refuses to upgrade a reader whose snapshot is stale: start again.
    return "database is locked" in str(orig)


def retry_when_deadlocked(work: Callable[[], T], attempts: int = 5) -> T:
    """Run ``work`` again when the database chose it as a deadlock victim.

    MariaDB's gap locks can deadlock writers of different providers (replacing the
    traits or aggregates of two providers at once, say); the loser's transaction was
    rolled back whole, so running it again is safe.
    """
    for attempt in range(attempts - 1):
        try:
            return work()
        except sa_exc.OperationalError as exc:
            if not _retryable(exc):
                raise
            time.sleep(0.005 * (attempt + 1) * (1 + random.random()))
    return work()


def run_with_retries(url: str, work: Callable[[sa.Connection], T], attempts: int,
                     exhausted: str) -> T:
    """Run ``work`` in a transaction, again in a new one when it lost a race.

    ``work`` raises RetryableConflict when a compare-and-swap found another
    writer first; after ``attempts`` tries the caller gets ConcurrentUpdate.
    """
    for _attempt in range(attempts):
        try:
            with transaction(url) as conn:
                return work(conn)
        except errors.RetryableConflict:
            continue
        except sa_exc.OperationalError as exc:
            if not _retryable(exc):
                raise
    raise errors.ConcurrentUpdate(exhausted)


def provider_row(conn: sa.Connection, uuid: str) -> sa.Row:
    """The provider ``uuid`` (id, uuid, name, generation, tree ids); NotFound if absent."""
    row = conn.execute(sa.select(RP).where(RP.c.uuid == uuid)).first()
    if row is None:
        raise errors.NotFound(f"No resource provider with uuid {uuid} found")
    return row


def record_changes(conn: sa.Connection, provider_ids, usage_only: bool = False) -> None:
    """Log that ``provider_ids`` changed (None: the class catalogue), in ``conn``'s
    transaction, so every worker's candidate index reloads them once it commits."""
    now = utcnow()
    rows = [{"resource_provider_id": pid, "usage_only": usage_only, "created_at": now}
            for pid in sorted(
        set(provider_ids), key=lambda p: -1 if p is None else p)]
    if rows:
        conn.execute(sa.insert(CHANGES), rows)


def bump_generation(conn: sa.Connection, provider_id: int, seen: int) -> int:
    """Compare-and-swap the provider's generation from ``seen`` to ``seen + 1``.

    Raises ConcurrentUpdate when another writer changed the provider since it
    was read; the caller's transaction then rolls back.
    """
    result = conn.execute(sa.update(RP).where(RP.c.id == provider_id, RP.c.generation == seen)
                          .values(generation=seen + 1, updated_at=utcnow()))
    if result.rowcount != 1:
        raise errors.ConcurrentUpdate(
            "resource provider generation conflict: another process changed the "
            "provider, please refresh and retry")
    record_changes(conn, [provider_id])
    return seen + 1


def is_duplicate(exc: sa_exc.IntegrityError) -> bool:
    """True when an insert broke a unique or primary key constraint."""
    orig = exc.orig
    code = orig.args[0] if orig is not None and orig.args else None
    return code == 1062 or "UNIQUE constraint failed" in str(orig)
