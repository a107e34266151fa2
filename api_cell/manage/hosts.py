"""``cellar-manage host``: compute hosts and the cells they belong to."""

from __future__ import annotations

import argparse

import sqlalchemy as sa

from api_cell.manage import EXIT_OK, EXIT_REFUSED, EXIT_UNREACHABLE, database, errors, output
from db import errors as db_errors
from db.api import cells as api_cells
from db.api import hosts as api_hosts
from db.cell import instances as cell_instances
from db.cell import services as cell_services

DISCOVER_COLUMNS = ["host", "cell", "result"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``host list``, ``host delete`` and ``host discover``."""
    host = subparsers.add_parser("host", help="compute hosts").add_subparsers(
        dest="action", required=True)
    listing = host.add_parser("list", help="list hosts and their cells")
    listing.add_argument("--cell", help="only the hosts of this cell (name or uuid)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=list_hosts)
    delete = host.add_parser("delete", help="unmap a host that has no instances")
    delete.add_argument("host", help="host name")
    delete.set_defaults(func=delete_host)
    discover = host.add_parser(
        "discover", help="map the compute hosts registered in cell databases that have no "
                         "host mapping (after restoring the API database, say). Hosts "
                         "normally map themselves when their agent registers with the "
                         "cell conductor; this is only a backfill. Idempotent.",
        description="Backfill host mappings from the compute services of cell databases. "
                    "Hosts normally map themselves when their agent registers with the "
                    "cell conductor, so this is only needed after the API database lost "
                    "mappings. Exit 0 when every host is mapped, 1 when a host is mapped "
                    "to another cell, 3 when a cell database did not answer.")
    discover.add_argument("--cell", help="only this cell (name or uuid)")
    discover.add_argument("--json", action="store_true", help="print JSON")
    discover.set_defaults(func=discover_hosts)


def list_hosts(conf, args: argparse.Namespace) -> int:
    """Print every host mapping (of one cell with ``--cell``)."""
    api_url = database.require_api_database(conf)
    cell_uuid = None
    if args.cell:
        try:
            cell_uuid = api_cells.get(api_url, args.cell).uuid
        except db_errors.NotFound as error:
            raise errors.ManageError(str(error)) from error
    rows = [{"host": h.host, "cell": h.cell_name, "cell_uuid": h.cell_uuid}
            for h in api_hosts.list_all(api_url, cell_uuid)]
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


def _discover_in(api_url: str, cell: api_cells.Cell, mapped: dict[str, str]) -> list[dict]:
    """Map the cell's unmapped compute hosts; a row per host that was not mapped here."""
    rows = []
    for service in cell_services.compute_services(cell.database_connection):
        owner = mapped.get(service.host)
        if owner == cell.uuid:
            continue
        result = "mapped"
        try:
            api_hosts.ensure(api_url, service.host, cell.uuid)
        except db_errors.Conflict as error:
            result = f"conflict: {error}"
        except db_errors.NotFound:
            result = "conflict: the cell was deleted meanwhile"
        rows.append({"host": service.host, "cell": cell.name, "result": result})
    return rows


def discover_hosts(conf, args: argparse.Namespace) -> int:
    """Map every compute host a cell knows that the API database does not."""
    api_url = database.require_api_database(conf)
    if args.cell:
        try:
            cells = [api_cells.get(api_url, args.cell)]
        except db_errors.NotFound as error:
            raise errors.ManageError(str(error)) from error
    else:
        cells = api_cells.list_all(api_url)
    mapped = {h.host: h.cell_uuid for h in api_hosts.list_all(api_url)}
    rows: list[dict] = []
    unreachable = []
    for cell in cells:
        if cell.is_cell0:
            continue
        try:
            rows += _discover_in(api_url, cell, mapped)
        except sa.exc.OperationalError:
            unreachable.append(cell.name)
            rows.append({"host": "", "cell": cell.name, "result": "cell database did not "
                                                                    "answer"})
    if args.json:
        output.emit(rows, DISCOVER_COLUMNS, True)
    else:
        for row in rows:
            if row["host"]:
                print(f"host {row['host']} in cell {row['cell']}: {row['result']}")
            else:
                print(f"cell {row['cell']}: {row['result']}")
        print(f"{sum(r['result'] == 'mapped' for r in rows)} host(s) mapped")
    if unreachable:
        return EXIT_UNREACHABLE
    return EXIT_REFUSED if any(r["result"].startswith("conflict") for r in rows) else EXIT_OK
