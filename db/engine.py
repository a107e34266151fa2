"""Engines and sessions for every schema.

One engine per database URL per process: cell databases are reached by URL from the
cell mappings, so engines are cached by URL and built on first use.
"""

from __future__ import annotations

import collections
import contextlib
import contextvars
import threading
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy import event, orm

from common.config import CONF

_engines: dict[str, sa.Engine] = {}
_lock = threading.Lock()
_statement_counter: contextvars.ContextVar[collections.Counter | None] = \
    contextvars.ContextVar("statement_counter", default=None)


@contextlib.contextmanager
def counting_statements() -> Iterator[collections.Counter]:
    """Count the SQL statements this thread runs in the block, by database name."""
    counter: collections.Counter = collections.Counter()
    token = _statement_counter.set(counter)
    try:
        yield counter
    finally:
        _statement_counter.reset(token)


def _count_statement(conn, _cursor, _statement, _parameters, _context, _executemany) -> None:
    counter = _statement_counter.get()
    if counter is not None:
        counter[conn.engine.url.database or "?"] += 1


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # WAL lets readers run beside the one writer; the busy timeout makes writers
    # queue instead of failing at once when several processes share a file.
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_engine(url: str | sa.URL, **kwargs) -> sa.Engine:
    """Build a new engine for ``url`` with the settings Cellar relies on."""
    url = sa.make_url(url)
    if url.drivername.startswith("sqlite"):
        engine = sa.create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("pool_recycle", 3600)
        if "poolclass" not in kwargs:
            kwargs.setdefault("pool_size", CONF.database.max_pool_size)
            kwargs.setdefault("max_overflow", CONF.database.max_overflow)
            kwargs.setdefault("pool_timeout", CONF.database.pool_timeout)
        engine = sa.create_engine(url, **kwargs)
    event.listen(engine, "before_cursor_execute", _count_statement)
    return engine


def get_engine(url: str) -> sa.Engine:
    """Return this process's engine for ``url``, building it on first use."""
    engine = _engines.get(url)
    if engine is None:
        with _lock:
            engine = _engines.get(url)
            if engine is None:
                engine = _engines[url] = create_engine(url)
    return engine


def dispose_all() -> None:
    """Close every cached engine (after fork, or when a test tears down)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextlib.contextmanager
def session_for(url: str) -> Iterator[orm.Session]:
    """A session in one transaction: committed on success, rolled back on error."""
    with orm.Session(get_engine(url), expire_on_commit=False) as session, session.begin():
        yield session
