"""``cellar-manage instance``: instance mappings, the API database's index of servers.

Servers are mapped when the API accepts them; ``instance map`` backfills the mappings
of servers a cell database holds without one (after a restore of the API database, or
a cell database brought in from elsewhere). ``instance verify`` says where one server
lives, with the exit codes of Nova's ``nova-manage cell_v2 verify_instance``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import uuid as uuidlib

import sqlalchemy as sa

from api_cell.manage import database, errors, output
from db import errors as db_errors
from db.api import cells as api_cells
from db.api import instances as api_instances
from db.cell import instances as cell_instances

# Exit codes of ``instance verify`` (those of nova-manage cell_v2 verify_instance, plus
# 255 for a database that did not answer).
VERIFY_MAPPED = 0
VERIFY_UNMAPPED = 1
VERIFY_NO_CELL = 2
VERIFY_DELETED = 3
VERIFY_GONE = 4
VERIFY_ERROR = 255

LIST_COLUMNS = ["uuid", "name", "project_id", "host", "vm_state", "task_state",
                "created_at", "mapped"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``instance map``, ``instance verify`` and ``instance list``."""
    instance = subparsers.add_parser("instance", help="instance mappings").add_subparsers(
        dest="action", required=True)
    mapping = instance.add_parser(
        "map", help="map the servers of a cell that have no instance mapping; idempotent "
                    "and safe while the API runs")
    mapping.add_argument("--cell", required=True, help="cell to scan (name or uuid)")
    mapping.add_argument("--batch-size", type=int, default=500,
                         help="servers read and mapped per transaction (default 500)")
    mapping.add_argument("--json", action="store_true", help="print JSON")
    mapping.set_defaults(func=map_instances)

    verify = instance.add_parser(
        "verify", help="print the cell that holds a server; exit 0 mapped, 1 not mapped, "
                       "2 mapped to no cell, 3 deleted, 4 gone from its cell, 255 a "
                       "database did not answer")
    verify.add_argument("server", help="uuid of the server")
    verify.add_argument("--json", action="store_true", help="print JSON")
    verify.set_defaults(func=verify_instance)

    listing = instance.add_parser("list", help="list the live servers of a cell, newest "
                                               "first, with whether each is mapped")
    listing.add_argument("--cell", required=True, help="name or uuid")
    listing.add_argument("--limit", type=int, default=100,
                         help="at most this many servers (default 100)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=list_instances)


def find_cell(api_url: str, name_or_uuid: str) -> api_cells.Cell:
    """The named cell, or a refusal naming the cells that exist."""
    try:
        return api_cells.get(api_url, name_or_uuid)
    except db_errors.NotFound:
        known = ", ".join(c.name for c in api_cells.list_all(api_url)) or "none"
        raise errors.ManageError(f"no cell named {name_or_uuid!r} (cells: {known})") from None


def _positive(value: int, option: str) -> None:
    if value < 1:
        raise errors.ManageError(f"{option} must be at least 1")


def unmapped_in_cell(api_url: str, cell: api_cells.Cell, batch_size: int):
    """Yield, a batch at a time, the cell's live servers that have no mapping."""
    after = None
    while True:
        batch = cell_instances.live_page_by_uuid(cell.database_connection, after, batch_size)
        if not batch:
            return
        after = batch[-1].uuid
        mapped = api_instances.mapped_uuids(api_url, [row.uuid for row in batch])
        missing = [row for row in batch if row.uuid not in mapped]
        if missing:
            yield missing


def map_instances(conf, args: argparse.Namespace) -> int:
    """Give every live server of the cell without a mapping one pointing at the cell."""
    api_url = database.require_api_database(conf)
    _positive(args.batch_size, "--batch-size")
    cell = find_cell(api_url, args.cell)
    mapped: list[dict] = []
    for missing in unmapped_in_cell(api_url, cell, args.batch_size):
        by_uuid = {row.uuid: row for row in missing}
        inserted = api_instances.add_mappings(api_url, [api_instances.Mapping(
            instance_uuid=row.uuid, cell_id=cell.id, project_id=row.project_id,
            user_id=row.user_id, queued_for_delete=False, created_at=row.created_at)
            for row in missing])
        mapped += [{"uuid": u, "project_id": by_uuid[u].project_id, "cell": cell.name}
                   for u in inserted]
        if not args.json:
            for instance_uuid in inserted:
                print(f"server {instance_uuid} mapped to cell {cell.name}")
    if args.json:
        output.emit(mapped, ["uuid", "project_id", "cell"], True)
    else:
        print(f"{len(mapped)} server(s) of cell {cell.name} mapped")
    return 0


@dataclasses.dataclass(frozen=True)
class Verdict:
    """Where ``instance verify`` found a server."""

    code: int
    message: str
    cell: api_cells.Cell | None = None


def locate(api_url: str, instance_uuid: str) -> Verdict:
    """Judge a server from its mapping and its cell's row."""
    try:
        mapping = api_instances.get_mapping(api_url, instance_uuid)
    except db_errors.NotFound:
        return _unmapped(api_url, instance_uuid)
    if mapping.cell_id is None:
        return Verdict(VERIFY_NO_CELL, f"server {instance_uuid} is mapped to no cell yet: "
                                       "it is still being scheduled")
    cell = next((c for c in api_cells.list_all(api_url) if c.id == mapping.cell_id), None)
    if cell is None:
        return Verdict(VERIFY_NO_CELL, f"server {instance_uuid} is mapped to a cell that "
                                       "does not exist")
    if mapping.queued_for_delete:
        return Verdict(VERIFY_DELETED, f"server {instance_uuid} is deleted (its cell "
                                       f"{cell.name} removes it)", cell)
    try:
        row = cell_instances.get(cell.database_connection, instance_uuid, read_deleted=True)
    except db_errors.NotFound:
        return Verdict(VERIFY_GONE, f"server {instance_uuid} is mapped to cell {cell.name}, "
                                    "which has no record of it", cell)
    if row.deleted:
        return Verdict(VERIFY_DELETED, f"server {instance_uuid} is deleted in cell "
                                       f"{cell.name}, but still mapped", cell)
    return Verdict(VERIFY_MAPPED, f"server {instance_uuid} is in cell {cell.name} "
                                  f"({cell.uuid})", cell)


def _unmapped(api_url: str, instance_uuid: str) -> Verdict:
    """No mapping: say which cell holds it, if any, so the operator can map it."""
    for cell in api_cells.list_all(api_url):
        try:
            cell_instances.get(cell.database_connection, instance_uuid)
        except db_errors.NotFound:
            continue
        return Verdict(VERIFY_UNMAPPED, f"server {instance_uuid} is in cell {cell.name} but "
                                        "not mapped (cellar-manage instance map --cell "
                                        f"{cell.name})", cell)
    return Verdict(VERIFY_UNMAPPED, f"server {instance_uuid} is not mapped to a cell and "
                                    "no cell holds it")


def verify_instance(conf, args: argparse.Namespace) -> int:
    """Print where a server lives; the exit code says it to scripts."""
    api_url = database.require_api_database(conf)
    try:
        uuidlib.UUID(args.server)
    except ValueError:
        raise errors.ManageError(f"{args.server!r} is not a uuid") from None
    try:
        verdict = locate(api_url, args.server)
    except sa.exc.OperationalError as error:
        verdict = Verdict(VERIFY_ERROR, f"a database did not answer: {error.orig}")
    if args.json:
        print(json.dumps({"uuid": args.server, "code": verdict.code,
                          "message": verdict.message,
                          "cell": verdict.cell.name if verdict.cell else None,
                          "cell_uuid": verdict.cell.uuid if verdict.cell else None},
                         indent=2))
    else:
        print(verdict.message)
    return verdict.code


def list_instances(conf, args: argparse.Namespace) -> int:
    """Print the newest live servers of one cell and whether each is mapped."""
    api_url = database.require_api_database(conf)
    _positive(args.limit, "--limit")
    cell = find_cell(api_url, args.cell)
    rows = cell_instances.newest(cell.database_connection, args.limit)
    mappings = {m.instance_uuid: m for m in
                api_instances.mappings_of(api_url, [r.uuid for r in rows])}

    def mapped(instance_uuid: str) -> str:
        found = mappings.get(instance_uuid)
        if found is None:
            return "no"
        return "yes" if found.cell_id == cell.id else "elsewhere"

    output.emit([{"uuid": r.uuid, "name": r.display_name, "project_id": r.project_id,
                  "host": r.host, "vm_state": r.vm_state, "task_state": r.task_state,
                  "created_at": r.created_at.isoformat(), "mapped": mapped(r.uuid)}
                 for r in rows], LIST_COLUMNS, args.json)
    return 0
