"""``cellar-manage cell``: the life of a cell, from create to delete."""

from __future__ import annotations

import argparse

import sqlalchemy as sa

from api_cell.manage import database, errors, migration, output
from db import errors as db_errors
from db.api import cells as api_cells
from db.api import hosts as api_hosts
from db.api import instances as api_instances

COLUMNS = ["name", "uuid", "database", "queue", "disabled"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``cell`` subcommands."""
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

    show = cell.add_parser("show", help="show one cell with its host and instance counts")
    show.add_argument("cell", help="name or uuid")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=show_cell)

    update = cell.add_parser("update", help="rename a cell or move its database or queue")
    update.add_argument("cell", help="name or uuid")
    update.add_argument("--name", help="new name")
    update.add_argument("--database-url", help="new database URL (synced before the switch)")
    update.add_argument("--queue-url", help="new Redis URL of its task stream")
    update.set_defaults(func=update_cell)

    for action, disabled, text in (("disable", True, "stop placing new instances in a cell"),
                                   ("enable", False, "let a cell take new instances again")):
        sub = cell.add_parser(action, help=text)
        sub.add_argument("cell", help="name or uuid")
        sub.set_defaults(func=set_disabled, disabled=disabled)

    delete = cell.add_parser("delete", help="remove an empty cell's mapping (refused while "
                                            "it has instances, or hosts without --force)")
    delete.add_argument("cell", help="name or uuid")
    delete.add_argument("--force", action="store_true",
                        help="also unmap its hosts")
    delete.set_defaults(func=delete_cell)

    cell0 = cell.add_parser("create-cell0", help="create cell0 (db sync does it too); "
                                                 "to move it later: cell update cell0 "
                                                 "--database-url URL")
    cell0.add_argument("--database-url",
                       help="cell0's database (default: the API database name + _cell0); "
                            "refused if cell0 exists at another URL")
    cell0.set_defaults(func=create_cell0)

    migration.register(cell)


def _row(cell: api_cells.Cell) -> dict:
    return {"name": cell.name, "uuid": cell.uuid,
            "database": sa.make_url(cell.database_connection).render_as_string(
                hide_password=True),
            "queue": cell.queue_url or "(shared)", "disabled": cell.disabled}


def _find(api_url: str, name_or_uuid: str) -> api_cells.Cell:
    try:
        return api_cells.get(api_url, name_or_uuid)
    except db_errors.NotFound as error:
        raise errors.ManageError(str(error)) from error


def _check_url(url: str) -> None:
    try:
        sa.make_url(url)
    except sa.exc.ArgumentError as error:
        raise errors.ManageError(f"invalid database URL: {error}") from error


def create_cell(conf, args: argparse.Namespace) -> int:
    """Validate, sync the new cell's database, then map it."""
    api_url = database.require_api_database(conf)
    if not args.name.strip() or args.name == api_cells.CELL0_NAME:
        raise errors.ManageError(f"invalid cell name {args.name!r}")
    _check_url(args.database_url)
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
    rows = [_row(c) for c in api_cells.list_all(database.require_api_database(conf))]
    output.emit(rows, COLUMNS, args.json)
    return 0


def show_cell(conf, args: argparse.Namespace) -> int:
    """Print one cell with how many hosts and live instances it has."""
    api_url = database.require_api_database(conf)
    cell = _find(api_url, args.cell)
    row = _row(cell) | {"hosts": len(api_hosts.list_all(api_url, cell.uuid)),
                        "instances": api_instances.count_in_cell(api_url, cell.id)}
    output.emit([row], [*COLUMNS, "hosts", "instances"], args.json)
    return 0


def update_cell(conf, args: argparse.Namespace) -> int:
    """Change name, database URL or queue URL; running processes see it within seconds."""
    api_url = database.require_api_database(conf)
    cell = _find(api_url, args.cell)
    values = {key: value for key, value in (("name", args.name),
                                            ("database_connection", args.database_url),
                                            ("queue_url", args.queue_url)) if value}
    if not values:
        raise errors.ManageError("nothing to update: give --name, --database-url or "
                                 "--queue-url")
    if cell.is_cell0 and args.name and args.name != cell.name:
        raise errors.ManageError("cell0 keeps its name; only its --database-url can change")
    if args.database_url:
        _check_url(args.database_url)
        database.upgrade("cell", args.database_url)
    try:
        api_cells.update(api_url, cell.uuid, **values)
    except db_errors.Duplicate as error:
        raise errors.ManageError(str(error)) from error
    print(f"cell {cell.name} updated")
    return 0


def set_disabled(conf, args: argparse.Namespace) -> int:
    """Disable or enable a cell for new instances."""
    api_url = database.require_api_database(conf)
    cell = _find(api_url, args.cell)
    if cell.is_cell0:
        raise errors.ManageError("cell0 takes no instances; it cannot be enabled or disabled")
    api_cells.update(api_url, cell.uuid, disabled=args.disabled)
    print(f"cell {cell.name} {'disabled' if args.disabled else 'enabled'}")
    return 0


def delete_cell(conf, args: argparse.Namespace) -> int:
    """Remove a cell mapping; refused while it has hosts or instances unless --force."""
    api_url = database.require_api_database(conf)
    cell = _find(api_url, args.cell)
    if cell.is_cell0:
        raise errors.ManageError("cell0 cannot be deleted")
    instances = api_instances.count_in_cell(api_url, cell.id)
    if instances:
        raise errors.ManageError(f"cell {cell.name} holds {instances} instance(s); drain it "
                                 "to another cell first")
    hosts = api_hosts.list_all(api_url, cell.uuid)
    if hosts and not args.force:
        raise errors.ManageError(
            f"cell {cell.name} has {len(hosts)} host(s): "
            f"{', '.join(h.host for h in hosts)}; stop their agents, or use --force to unmap "
            "them (an agent still running re-registers with its conductor)")
    for host in hosts:
        api_hosts.delete(api_url, host.host)
        print(f"host {host.host} unmapped")
    api_cells.delete(api_url, cell.uuid)
    print(f"cell {cell.name} deleted")
    return 0


def create_cell0(conf, args: argparse.Namespace) -> int:
    """Create cell0 if it does not exist; sync it if it does at the same place."""
    api_url = database.require_api_database(conf)
    if args.database_url:
        _check_url(args.database_url)
    existing = next((c for c in api_cells.list_all(api_url) if c.is_cell0), None)
    if existing is None:
        database.ensure_cell0(api_url, args.database_url)
        return 0
    where = _row(existing)["database"]
    if args.database_url and args.database_url != existing.database_connection:
        raise errors.ManageError(
            f"cell0 exists already at {where}; to move it to another database: "
            "cellar-manage cell update cell0 --database-url URL")
    database.upgrade("cell", existing.database_connection)
    print(f"cell0 exists already at {where}; its database is synced")
    return 0
