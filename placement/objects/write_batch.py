"""The writes of a claim, sent to MariaDB in one round trip.

A claim used to spend most of its database time waiting: one round trip per
compare-and-swap, per insert and for the commit. On MariaDB a ``WriteBatch``
sends all of its writes as one anonymous compound statement (``BEGIN NOT ATOMIC
... END``) in which each guarded write checks ``ROW_COUNT()`` and stops the
batch with ``SIGNAL`` when it changed fewer rows than it had to. Elsewhere
(SQLite, MySQL) the same writes run one by one with the same checks, so both
paths fail the same way: ``GuardFailed`` naming the guard.

``run`` does not commit: the caller's transaction does, and a batch stopped half
way is rolled back with it. ``commit_alone`` (MariaDB only) ends the compound
statement with COMMIT instead: the whole transaction is then one round trip, at
the isolation level the caller chooses.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pymysql
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.mysql import pymysql as mysql_pymysql

# The SQLSTATE of a user-defined condition: what a failed guard signals.
_SIGNAL_STATE = "45000"
# MySQL's error number for an unhandled user-defined SIGNAL.
_SIGNAL_ERRNO = 1644
_DUPLICATE_KEY = 1062
# MySQL limits MESSAGE_TEXT to 128 characters.
_GUARD_MAX = 128


class GuardFailed(Exception):
    """A guarded write of the batch changed too few rows or hit a duplicate key."""

    def __init__(self, guard: str) -> None:
        super().__init__(guard)
        self.guard = guard


@dataclasses.dataclass(frozen=True)
class _Write:
    statement: sa.Executable
    params: dict[str, Any] | list[dict[str, Any]]
    # Rows the write must change, else the batch fails with ``guard``.
    rows: int | None
    guard: str | None
    # True: a duplicate key fails the batch with ``guard`` (an insert that lost).
    on_duplicate: bool
    # Set: ``statement`` is a query of one value, which must be this one...
    value: int | None = None
    # ... unless this query (statement, parameters, value) gives its value first.
    unless: tuple[sa.Executable, dict[str, Any], int] | None = None


class WriteBatch:
    """Writes collected in order, then run by ``run`` in the caller's transaction."""

    def __init__(self) -> None:
        self._writes: list[_Write] = []

    def add(self, statement: sa.Executable, params: dict[str, Any] | list[dict[str, Any]],
            *, rows: int | None = None, guard: str | None = None,
            on_duplicate: bool = False) -> None:
        """Queue ``statement``; with ``rows``, it must change exactly that many rows."""
        if guard is not None and len(guard) > _GUARD_MAX:
            raise ValueError(f"guard names are at most {_GUARD_MAX} characters")
        if isinstance(params, list) and not params:
            return
        self._writes.append(_Write(statement, params, rows, guard, on_duplicate))

    def check(self, query: sa.Executable, params: dict[str, Any], value: int, guard: str,
              unless: tuple[sa.Executable, dict[str, Any], int] | None = None) -> None:
        """Queue a check: ``query`` (one value) must give ``value`` at this point of
        the batch, which reads what the writes before it wrote; not run when the
        cheaper query of ``unless`` (query, parameters, value) gives its value."""
        if len(guard) > _GUARD_MAX:
            raise ValueError(f"guard names are at most {_GUARD_MAX} characters")
        self._writes.append(_Write(query, params, None, guard, False, value, unless))

    def run(self, conn: sa.Connection) -> None:
        """Run the writes in ``conn``'s transaction; GuardFailed if a guard did not hold."""
        if not self._writes:
            return
        if supports_compound(conn.dialect):
            self._run_compound(conn)
        else:
            self._run_one_by_one(conn)

    def _run_one_by_one(self, conn: sa.Connection) -> None:
        for write in self._writes:
            if write.value is not None:
                if write.unless is not None and conn.execute(
                        write.unless[0], write.unless[1]).scalar() == write.unless[2]:
                    continue
                if conn.execute(write.statement, write.params).scalar() != write.value:
                    raise GuardFailed(str(write.guard))
                continue
            try:
                result = conn.execute(write.statement, write.params)
            except sa_exc.IntegrityError:
                if not write.on_duplicate:
                    raise
                raise GuardFailed(str(write.guard)) from None
            if write.rows is not None and result.rowcount != write.rows:
                raise GuardFailed(str(write.guard))

    def commit_alone(self, conn: sa.Connection, read_committed: bool = False) -> None:
        """Run the writes and COMMIT, as one statement, on ``conn`` (MariaDB), which
        must not be inside a transaction; GuardFailed (rolled back) if a guard did
        not hold. ``read_committed``: the transaction runs at READ COMMITTED (each
        statement reads the latest commit; reads take no gap locks) instead of the
        session's level.

        SQLAlchemy does not see this transaction: the connection is marked ended
        (``placement_ended``) so that the pool does not roll it back again.
        """
        if not supports_compound(conn.dialect):
            raise ValueError("commit_alone needs MariaDB's compound statements")
        if conn.in_transaction():
            raise ValueError("commit_alone runs its own transaction")
        try:
            self._run_compound(conn, commit=True, read_committed=read_committed)
        except BaseException:
            _roll_back(conn)
            raise
        conn.connection.info["placement_ended"] = True

    def _run_compound(self, conn: sa.Connection, commit: bool = False,
                      read_committed: bool = False) -> None:
        dbapi_connection = conn.connection.dbapi_connection
        cursor = dbapi_connection.cursor()
        # Before the first write: it applies to the transaction that write starts.
        body = ["SET TRANSACTION ISOLATION LEVEL READ COMMITTED;"] if read_committed else []
        body += [_render(cursor, conn.dialect, write) for write in self._writes]
        if commit:
            body.append("COMMIT;")
        sql = "BEGIN NOT ATOMIC\n" + "\n".join(body) + "\nEND"
        try:
            # No arguments: the values are already escaped into the text, and
            # PyMySQL must not read the text as a format string.
            cursor.execute(sql)
        except pymysql.err.OperationalError as exc:
            if exc.args and exc.args[0] == _SIGNAL_ERRNO:
                raise GuardFailed(str(exc.args[1])) from None
            raise sa_exc.DBAPIError.instance(sql, None, exc, pymysql.err.Error) from exc
        except pymysql.err.Error as exc:
            raise sa_exc.DBAPIError.instance(sql, None, exc, pymysql.err.Error) from exc
        finally:
            cursor.close()


def _roll_back(conn: sa.Connection) -> None:
    """End a transaction ``commit_alone`` left open; a connection that cannot is
    not lent again."""
    try:
        conn.connection.dbapi_connection.rollback()
    except pymysql.err.Error:
        conn.invalidate()
        return
    conn.connection.info["placement_ended"] = True


def supports_compound(dialect: sa.Dialect) -> bool:
    """Whether ``dialect`` talks to MariaDB, which runs anonymous compound statements
    (known once the engine has connected)."""
    return dialect.name == "mysql" and getattr(dialect, "is_mariadb", False)


# PyMySQL's own paramstyle (``%s``), whatever the engine was configured with.
_FORMAT_DIALECT = {"mysql": mysql_pymysql.dialect(paramstyle="format")}
# {(statement id, parameter names): (statement, SQL, parameter order, constants)};
# the statement is kept so that its id cannot be reused while the entry lives.
_compiled: dict[tuple[int, tuple[str, ...]],
                tuple[sa.Executable, str, tuple[str, ...], dict[str, Any]]] = {}


def _sql_of(statement: sa.Executable, keys: tuple[str, ...],
            dialect: sa.Dialect) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """The statement's SQL for parameters ``keys`` (PyMySQL's ``%s`` placeholders),
    the parameter names in placeholder order and the values of the parameters the
    statement holds itself (its literals), compiled once per statement and set of
    keys."""
    known = _compiled.get((id(statement), keys))
    if known is None or known[0] is not statement:
        compiled = statement.compile(dialect=_FORMAT_DIALECT.get(dialect.name, dialect),
                                     column_keys=list(keys))
        if not compiled.positional:
            raise ValueError("WriteBatch renders with a positional paramstyle only")
        constants = {name: value for name, value in compiled.params.items()
                     if name not in keys}
        known = (statement, str(compiled), tuple(compiled.positiontup or ()), constants)
        _compiled[id(statement), keys] = known
    return known[1], known[2], known[3]


def _with_values(cursor: Any, sql: str, order: tuple[str, ...], values: dict[str, Any]) -> str:
    """``sql`` with ``values`` escaped into its placeholders."""
    return cursor.mogrify(sql, tuple(values[name] for name in order))


def _render(cursor: Any, dialect: sa.Dialect, write: _Write) -> str:
    """One write as a statement of the compound, its guard after it."""
    first = write.params[0] if isinstance(write.params, list) else write.params
    sql, order, constants = _sql_of(write.statement, tuple(sorted(first)), dialect)
    if isinstance(write.params, list):
        head, sep, row = sql.partition(" VALUES ")
        if not sep:
            raise ValueError("only INSERT ... VALUES takes a list of rows")
        text = head + sep + ", ".join(
            cursor.mogrify(row, tuple({**constants, **params}[name] for name in order))
            for params in write.params)
    else:
        text = _with_values(cursor, sql, order, {**constants, **write.params})
    signal = (f"SIGNAL SQLSTATE '{_SIGNAL_STATE}' SET MESSAGE_TEXT = "
              f"{cursor.connection.escape(write.guard or '')}")
    if write.value is not None:
        text = f"IF ({text}) <> {int(write.value)} THEN {signal}; END IF"
        if write.unless is not None:
            query, params, value = write.unless
            unless_sql, unless_order, unless_constants = _sql_of(
                query, tuple(sorted(params)), dialect)
            unless_text = _with_values(cursor, unless_sql, unless_order,
                                       {**unless_constants, **params})
            text = f"IF ({unless_text}) <> {int(value)} THEN {text}; END IF"
        return text + ";"
    if write.on_duplicate:
        # A block of its own, so the handler covers this insert only.
        text = (f"BEGIN DECLARE EXIT HANDLER FOR {_DUPLICATE_KEY} {signal}; "
                f"{text}; END")
    if write.rows is not None:
        text += f";\nIF ROW_COUNT() <> {int(write.rows)} THEN {signal}; END IF"
    return text + ";"
