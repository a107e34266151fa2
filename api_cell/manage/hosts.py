"""``cellar-manage host``: compute hosts and the cells they belong to."""

from __future__ import annotations

import argparse

from api_cell.manage import database, errors, output
from db import errors as db_errors
from db.api import cells as api_cells
from db.api import hosts as api_hosts
from db.cell import instances as cell_instances


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``host list`` and ``host delete``."""
    host = subparsers.add_parser("host", help="compute hosts").add_subparsers(
        dest="action", required=True)
    listing = host.add_parser("list", help="list hosts and their cells")
    listing.add_argument("--cell", help="only the hosts of this cell (name or uuid)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=list_hosts)
    delete = host.add_parser("delete", help="unmap a host that has no instances")
    delete.add_argument("host", help="host name")
    delete.set_defaults(func=delete_host)


def list_hosts(conf, args: argparse.Namespace) -> int:
    """Print every host mapping."""
    rows = [{"host": h.host, "cell": h.cell_name, "cell_uuid": h.cell_uuid}
            for h in api_hosts.list_all(database.require_api_database(conf))
            if args.cell in (None, h.cell_name, h.cell_uuid)]
    output.emit(rows, ["host", "cell", "cell_uuid"], args.json)
    return 0


def delete_host(conf, args: argparse.Namespace) -> int:
    """Unmap a host, refused while its cell still has instances on it."""
    api_url = database.require_api_database(conf)
    try:
        mapping = api_hosts.get(api_url, args.host)
    except db_errors.NotFound as error:
        raise errors.ManageError(str(error)) from error
    cell = api_cells.get(api_url, mapping.cell_uuid)
    on_host = cell_instances.list_on_host(cell.database_connection, args.host)
    if on_host:
        raise errors.ManageError(f"host {args.host} has {len(on_host)} instance(s); move or "
                                 "delete them first")
    api_hosts.delete(api_url, args.host)
    print(f"host {args.host} unmapped from cell {cell.name}")
    return 0
