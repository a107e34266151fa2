"""``cellar-manage db``: bring every schema to the newest revision."""

from __future__ import annotations

import argparse

import sqlalchemy as sa

from api_cell.manage import errors, output
from db import errors as db_errors
from db import migrate
from db.api import cells as api_cells

SYNC_TARGETS = ("all", "api", "placement", "cells")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``db sync`` and ``db version``."""
    db = subparsers.add_parser("db", help="database schemas").add_subparsers(
        dest="action", required=True)
    sync = db.add_parser("sync", help="upgrade the API, placement and every cell database; "
                                      "create cell0 on the first run")
    sync.add_argument("--only", choices=SYNC_TARGETS,
                      help="sync only this schema (placement alone needs only "
                           "[placement_database] connection)")
    sync.add_argument("--cell", help="sync only the named cell's database (name or uuid; "
                                     "implies --only cells)")
    sync.set_defaults(func=sync_all)
    version = db.add_parser("version", help="print the current and newest revision of "
                                            "every database")
    version.add_argument("--json", action="store_true", help="print JSON")
    version.set_defaults(func=show_versions)


def upgrade(schema: str, url: str) -> None:
    """Upgrade one database, turning connection failures into Unreachable."""
    try:
        migrate.upgrade(schema, url)
    except sa.exc.OperationalError as error:
        raise errors.Unreachable(f"cannot reach the {schema} database: {error.orig}") from error


def sync_all(conf, args: argparse.Namespace) -> int:
    """Upgrade the schemas ``args.only`` names (only the named cell with ``--cell``)."""
    if args.cell and args.only not in (None, "cells"):
        raise errors.ManageError("--cell syncs one cell database; it cannot go with "
                                 f"--only {args.only}")
    if args.cell:
        return _sync_one_cell(require_api_database(conf), args.cell)
    only = args.only or "all"
    if only in ("all", "placement"):
        if not conf.placement_database.connection:
            raise errors.ManageError("[placement_database] connection is not set")
        upgrade("placement", conf.placement_database.connection)
        print("placement database synced")
    if only == "placement":
        return 0
    api_url = require_api_database(conf)
    if only in ("all", "api"):
        upgrade("api", api_url)
        print("API database synced")
        ensure_cell0(api_url)
    if only in ("all", "cells"):
        for cell in api_cells.list_all(api_url):
            upgrade("cell", cell.database_connection)
            print(f"cell {cell.name} database synced")
    return 0


def _sync_one_cell(api_url: str, name_or_uuid: str) -> int:
    try:
        cell = api_cells.get(api_url, name_or_uuid)
    except db_errors.NotFound as error:
        raise errors.ManageError(str(error)) from error
    upgrade("cell", cell.database_connection)
    print(f"cell {cell.name} database synced")
    return 0


def show_versions(conf, args: argparse.Namespace) -> int:
    """Print each database's revision next to its schema's newest one."""
    rows = []
    for label, url, schema in _databases(conf):
        current = _revision(url)
        head = migrate.head_revision(schema)
        rows.append({"database": label, "schema": schema, "current": current, "head": head,
                     "at_head": current == head})
    output.emit(rows, ["database", "schema", "current", "head", "at_head"], args.json)
    return 0


def _databases(conf) -> list[tuple[str, str, str]]:
    """(label, url, schema) of every configured or mapped database."""
    found = []
    if conf.placement_database.connection:
        found.append(("placement", conf.placement_database.connection, "placement"))
    api_url = require_api_database(conf)
    found.append(("api", api_url, "api"))
    found += [(f"cell {c.name}", c.database_connection, "cell")
              for c in api_cells.list_all(api_url)]
    return found


def _revision(url: str) -> str:
    try:
        return migrate.current_revision(url) or "empty"
    except sa.exc.OperationalError:
        return "unreachable"


def require_api_database(conf) -> str:
    """The API database URL, or a clear error if it is not configured."""
    if not conf.api_database.connection:
        raise errors.ManageError("[api_database] connection is not set")
    return conf.api_database.connection


def cell0_url(api_url: str) -> str:
    """The default cell0 database URL: the API database's name with ``_cell0`` added."""
    url = sa.make_url(api_url)
    database = url.database or ""
    if url.drivername.startswith("sqlite"):
        stem, dot, suffix = database.rpartition(".")
        return url.set(database=f"{stem}_cell0.{suffix}" if dot else f"{database}_cell0"
                       ).render_as_string(hide_password=False)
    return url.set(database=f"{database}_cell0").render_as_string(hide_password=False)


def ensure_cell0(api_url: str, database_url: str | None = None) -> None:
    """Create (and sync) cell0 unless it exists."""
    existing = [c for c in api_cells.list_all(api_url) if c.is_cell0]
    if existing:
        return
    url = database_url or cell0_url(api_url)
    upgrade("cell", url)
    try:
        api_cells.create(api_url, api_cells.CELL0_NAME, url, cell_uuid=api_cells.CELL0_UUID)
    except db_errors.Duplicate:
        return
    print(f"cell0 created at {sa.make_url(url).render_as_string(hide_password=True)}")
