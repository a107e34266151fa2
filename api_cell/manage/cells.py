"""``cellar-manage cell``: add and list cells."""

from __future__ import annotations

import argparse

import sqlalchemy as sa

from api_cell.manage import database, errors, output
from db import errors as db_errors
from db.api import cells as api_cells


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``cell create``, ``cell list`` and ``cell create-cell0``."""
    cell = subparsers.add_parser("cell", help="cells").add_subparsers(dest="action",
                                                                        required=True)
    create = cell.add_parser("create", help="add a cell and sync its database")
    create.add_argument("--name", required=True, help="unique name of the cell")
    create.add_argument("--database-url", required=True,
                        help="SQLAlchemy URL of the cell's database")
    create.add_argument("--queue-url",
                        help="Redis URL of the cell's task stream (default: the shared one)")
    create.add_argument("--disabled", action="store_true",
                        help="create it disabled: no new instances until enabled")
    create.set_defaults(func=create_cell)
    listing = cell.add_parser("list", help="list cells")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=list_cells)
    cell0 = cell.add_parser("create-cell0", help="create cell0 (db sync does it too)")
    cell0.add_argument("--database-url",
                       help="cell0's database (default: the API database name + _cell0)")
    cell0.set_defaults(func=create_cell0)


def create_cell(conf, args: argparse.Namespace) -> int:
    """Validate, sync the new cell's database, then map it."""
    api_url = database.require_api_database(conf)
    if not args.name.strip() or args.name == api_cells.CELL0_NAME:
        raise errors.ManageError(f"invalid cell name {args.name!r}")
    try:
        sa.make_url(args.database_url)
    except sa.exc.ArgumentError as error:
        raise errors.ManageError(f"invalid database URL: {error}") from error
    if any(c.name == args.name for c in api_cells.list_all(api_url)):
        raise errors.ManageError(f"a cell named {args.name!r} exists already")
    database.upgrade("cell", args.database_url)
    try:
        cell = api_cells.create(api_url, args.name, args.database_url, args.queue_url,
                                disabled=args.disabled)
    except db_errors.Duplicate as error:
        raise errors.ManageError(str(error)) from error
    print(f"cell {cell.name} created with uuid {cell.uuid}")
    return 0


def list_cells(conf, args: argparse.Namespace) -> int:
    """Print every cell mapping, credentials hidden."""
    rows = [{"name": c.name, "uuid": c.uuid,
             "database": sa.make_url(c.database_connection).render_as_string(
                 hide_password=True),
             "queue": c.queue_url or "(shared)", "disabled": c.disabled}
            for c in api_cells.list_all(database.require_api_database(conf))]
    output.emit(rows, ["name", "uuid", "database", "queue", "disabled"], args.json)
    return 0


def create_cell0(conf, args: argparse.Namespace) -> int:
    """Create cell0 if it does not exist."""
    database.ensure_cell0(database.require_api_database(conf), args.database_url)
    return 0
