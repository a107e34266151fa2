"""Shared pieces of the placement domain layer: tables, transactions, lookups."""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import event
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


_engines: dict[str, sa.Engine] = {}
_engines_lock = threading.Lock()
# pymysql's SERVER_STATUS_IN_TRANS, as the server reported it in its last OK packet.
_IN_TRANS = 1


def engine(url: str) -> sa.Engine:
    """This process's placement engine for ``url``.

    Every request is one short transaction, so the MySQL pool skips two round
    trips the shared engines make for each: no ping before a connection is lent
    (a connection the server dropped fails its first statement instead, is
    invalidated with the rest of the pool, and the request is run again: see
    ``retry_when_deadlocked``) and no ROLLBACK when it comes back after its
    transaction was committed or rolled back.
    """
    found = _engines.get(url)
    if found is None:
        with _engines_lock:
            found = _engines.get(url)
            if found is None:
                found = _engines[url] = _create_engine(url)
    return found


def _create_engine(url: str) -> sa.Engine:
    if not sa.make_url(url).drivername.startswith("mysql+pymysql"):
        return db_engine.get_engine(url)
    created = db_engine.create_engine(url, pool_pre_ping=False, pool_reset_on_return=None)
    event.listen(created, "begin", _began)
    event.listen(created, "commit", _ended)
    event.listen(created, "rollback", _ended)
    event.listen(created, "reset", _reset)
    return created


def _began(conn: sa.Connection) -> None:
    _mark(conn, False)


def _ended(conn: sa.Connection) -> None:
    _mark(conn, True)


def _mark(conn: sa.Connection, ended: bool) -> None:
    # An invalidated connection (dropped by the server) is discarded, not reset.
    if not conn.invalidated:
        conn.connection.info["placement_ended"] = ended


def _reset(dbapi_connection, record, state) -> None:
    """Roll back a returned connection unless its transaction is known to be over.

    Over: SQLAlchemy ended it (commit or rollback) and the server's last status
    says no transaction is open (a failed COMMIT leaves it saying one is).
    """
    ended = record is not None and record.info.pop("placement_ended", False)
    status = getattr(dbapi_connection, "server_status", None)
    if ended and status is not None and not status & _IN_TRANS and not state.terminate_only:
        return
    dbapi_connection.rollback()


@contextlib.contextmanager
def transaction(url: str) -> Iterator[sa.Connection]:
    """One database transaction: committed on success, rolled back on error."""
    with engine(url).begin() as conn:
        yield conn


def _retryable(exc: sa_exc.OperationalError) -> bool:
    if exc.connection_invalidated:
        # A connection the server had dropped (restart, timeout): the pool was
        # invalidated and the next attempt gets a fresh connection.
        return True
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
    rolled back whole, so running it again is safe. After ``attempts`` losses the
    caller gets ConcurrentUpdate (409).
    """
    for attempt in range(attempts):
        try:
            return work()
        except sa_exc.OperationalError as exc:
            if not _retryable(exc):
                raise
            time.sleep(0.005 * (attempt + 1) * (1 + random.random()))
    # Still losing after every attempt: the client may try again, as after any
    # lost race, rather than see a server error.
    raise errors.ConcurrentUpdate("Update conflict: the database kept choosing this request "
                                  "as a deadlock victim, please retry")


def run_with_retries(url: str, work: Callable[[sa.Connection], T], attempts: int,
                     exhausted: str) -> T:
    """Run ``work`` in a transaction, again in a new one when it lost a race.

    ``work`` raises RetryableConflict when a compare-and-swap found another
    writer first; after ``attempts`` tries the caller gets ConcurrentUpdate.
    """
    for attempt in range(attempts):
        try:
            with transaction(url) as conn:
                return work(conn)
        except errors.RetryableConflict:
            # Writers that lost to the same winner would collide again at once:
            # spread them out a little (under a millisecond per attempt so far).
            time.sleep(random.random() * 0.001 * (attempt + 1))
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


INSERT_CHANGES = sa.insert(CHANGES)


def change_rows(provider_ids, usage_only: bool = False) -> list[dict]:
    """The rows of ``INSERT_CHANGES`` that log ``provider_ids`` (None: the class catalogue)."""
    now = utcnow()
    return [{"resource_provider_id": pid, "usage_only": usage_only, "created_at": now}
            for pid in sorted(set(provider_ids), key=lambda p: -1 if p is None else p)]


def record_changes(conn: sa.Connection, provider_ids, usage_only: bool = False) -> None:
    """Log that ``provider_ids`` changed (None: the class catalogue), in ``conn``'s
    transaction, so every worker's candidate index reloads them once it commits."""
    rows = change_rows(provider_ids, usage_only)
    if rows:
        conn.execute(INSERT_CHANGES, rows)


def replace_links(conn: sa.Connection, table: sa.Table, column: str, provider_id: int,
                  wanted: set[int]) -> None:
    """Make the provider's rows of ``table`` (traits, aggregates) exactly ``wanted``.

    Only the rows that change are touched, each by its whole primary key: a
    blanket DELETE of the provider's rows takes gap locks on MariaDB, and two
    writers of neighbouring providers then deadlock on each other's inserts.
    """
    current = set(conn.execute(sa.select(table.c[column])
                               .where(table.c.resource_provider_id == provider_id)).scalars())
    gone = sorted(current - wanted)
    if gone:
        conn.execute(sa.delete(table).where(table.c.resource_provider_id == provider_id,
                                            table.c[column].in_(gone)))
    added = sorted(wanted - current)
    if added:
        now = utcnow()
        conn.execute(sa.insert(table), [
            {"resource_provider_id": provider_id, column: i, "created_at": now}
            for i in added])


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
