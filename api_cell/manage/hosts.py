"""``cellar-manage host``: compute hosts and the cells they belong to."""

from __future__ import annotations

import argparse

from api_cell.manage import database, output
from db.api import hosts as api_hosts


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``host list``."""
    host = subparsers.add_parser("host", help="compute hosts").add_subparsers(
        dest="action", required=True)
    listing = host.add_parser("list", help="list hosts and their cells")
    listing.add_argument("--cell", help="only the hosts of this cell (name or uuid)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=list_hosts)


def list_hosts(conf, args: argparse.Namespace) -> int:
    """Print every host mapping."""
    rows = [{"host": h.host, "cell": h.cell_name, "cell_uuid": h.cell_uuid}
            for h in api_hosts.list_all(database.require_api_database(conf))
            if args.cell in (None, h.cell_name, h.cell_uuid)]
    output.emit(rows, ["host", "cell", "cell_uuid"], args.json)
    return 0
