"""Engines and sessions for every schema.

One engine per database URL per process: cell databases are reached by URL from the
cell mappings, so engines are cached by URL and built on first use.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy import event, orm

_engines: dict[str, sa.Engine] = {}
_lock = threading.Lock()


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
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_recycle", 3600)
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    return sa.create_engine(url, **kwargs)


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
