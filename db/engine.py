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
from sqlalchemy import event, orm, pool
from sqlalchemy import exc as sa_exc

from common.config import CONF

_engines: dict[str, sa.Engine] = {}
_lock = threading.Lock()
_probe_engines: dict[str, sa.Engine] = {}
_statement_counter: contextvars.ContextVar[collections.Counter | None] = \
    contextvars.ContextVar("statement_counter", default=None)

# MySQL client error codes that mean the server could not be reached or stopped
# answering (CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR, CR_UNKNOWN_HOST,
# CR_SERVER_GONE_ERROR, CR_SERVER_LOST, CR_SERVER_LOST_EXTENDED), as opposed to
# errors of a server that answers (deadlocks, lock waits, bad SQL).
_UNREACHABLE_CODES = frozenset({2002, 2003, 2005, 2006, 2013, 2055})
_DRIVER_TIMEOUTS = ("connect_timeout", "read_timeout", "write_timeout")


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
        for engine in (*_engines.values(), *_probe_engines.values()):
            engine.dispose()
        _engines.clear()
        _probe_engines.clear()


def bounded_url(url: str, connect_timeout: int, read_timeout: int,
                write_timeout: int) -> str:
    """``url`` with PyMySQL socket timeouts, so a server that stops answering makes
    the driver fail within seconds instead of waiting on the socket for ever.

    Timeouts the URL names already win; URLs of other drivers (SQLite) are returned
    as they are.
    """
    parsed = sa.make_url(url)
    if not parsed.drivername.startswith("mysql"):
        return url
    wanted = dict(zip(_DRIVER_TIMEOUTS, (connect_timeout, read_timeout, write_timeout),
                      strict=True))
    missing = {k: str(v) for k, v in wanted.items() if k not in parsed.query}
    if not missing:
        return url
    return parsed.update_query_dict(missing).render_as_string(hide_password=False)


def ping(url: str, timeout: int) -> None:
    """Run ``SELECT 1`` on the database of ``url`` over a new connection.

    The connection is not pooled: a probe must find out whether the server answers
    now, not reuse a socket that may be dead. Raises what the driver raises; with
    MySQL, within about ``timeout`` seconds for connecting and again for the answer.
    """
    engine = _probe_engines.get(url)
    if engine is None:
        with _lock:
            engine = _probe_engines.get(url)
            if engine is None:
                engine = _probe_engines[url] = sa.create_engine(
                    _with_timeouts(sa.make_url(url), timeout), poolclass=pool.NullPool)
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))


def _with_timeouts(url: sa.URL, timeout: int) -> sa.URL:
    # The probe's own short timeouts replace whatever the URL says.
    if not url.drivername.startswith("mysql"):
        return url
    return url.update_query_dict(dict.fromkeys(_DRIVER_TIMEOUTS, str(timeout)))


def is_unreachable(error: BaseException) -> bool:
    """Whether ``error`` says the database server is down or silent, rather than that
    it answered with an error: a lost or refused connection, a socket timeout, or a
    connection pool exhausted by calls that hang.
    """
    if isinstance(error, (sa_exc.TimeoutError, TimeoutError)):
        return True
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    args = getattr(error.orig, "args", ())
    return bool(args) and args[0] in _UNREACHABLE_CODES


@contextlib.contextmanager
def session_for(url: str) -> Iterator[orm.Session]:
    """A session in one transaction: committed on success, rolled back on error."""
    with orm.Session(get_engine(url), expire_on_commit=False) as session, session.begin():
        yield session
