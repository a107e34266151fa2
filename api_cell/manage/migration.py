"""``cellar-manage cell migrate-instance`` and ``cell drain``: move servers between cells.

The command claims the server in its cell (task_state ``migrating``, an instance action
``migrate``, a migration record ``pre-migrating``), queues a ``migrate_cell`` task for
the superconductors and, unless told not to, waits for the outcome by reading the
mapping and the two cells' rows. The move itself is
api_cell/superconductor/cell_migration.py.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections import deque

import redis

from api_cell.manage import EXIT_OK, EXIT_REFUSED, database, errors
from api_cell.superconductor import cell_migration
from common import context, redis_client, states, tasks
from db import errors as db_errors
from db.api import cells as api_cells
from db.api import instances as api_instances
from db.cell import instances as cell_instances

POLL_INTERVAL = 0.2


def register(cell_actions: argparse._SubParsersAction) -> None:
    """Add ``migrate-instance`` and ``drain`` to the ``cell`` subcommands."""
    migrate = cell_actions.add_parser(
        "migrate-instance", help="cold-migrate one server to another cell")
    migrate.add_argument("server", help="uuid of the server")
    migrate.add_argument("--to-cell", required=True, help="target cell (name or uuid)")
    migrate.add_argument("--no-wait", action="store_true",
                         help="queue the move and return without waiting for it")
    migrate.add_argument("--timeout", type=float, default=600.0,
                         help="seconds to wait for the move (default 600)")
    migrate.set_defaults(func=migrate_instance)

    drain = cell_actions.add_parser(
        "drain", help="cold-migrate every server of a cell to another cell")
    drain.add_argument("cell", help="cell to empty (name or uuid)")
    drain.add_argument("--to-cell", required=True, help="target cell (name or uuid)")
    drain.add_argument("--parallel", type=int, default=4,
                       help="moves in flight at once (default 4)")
    drain.add_argument("--timeout", type=float, default=600.0,
                       help="seconds to wait for each server's move (default 600)")
    drain.set_defaults(func=drain_cell)


@dataclasses.dataclass(frozen=True)
class Started:
    """A move this command queued."""

    instance_uuid: str
    request_id: str
    source: api_cells.Cell
    target: api_cells.Cell


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How a move ended (``done`` False while it runs)."""

    done: bool
    moved: bool = False
    message: str = ""


RUNNING = Outcome(done=False)


def _cell(api_url: str, name_or_uuid: str) -> api_cells.Cell:
    try:
        return api_cells.get(api_url, name_or_uuid)
    except db_errors.NotFound as error:
        raise errors.ManageError(str(error)) from error


def check_target(source: api_cells.Cell, target: api_cells.Cell) -> None:
    """Refuse a target that cannot take servers from ``source``."""
    if target.is_cell0:
        raise errors.ManageError("cell0 cannot take servers: it only keeps servers that "
                                 "never reached a host")
    if target.disabled:
        raise errors.ManageError(f"cell {target.name} is disabled; enable it first "
                                 f"(cellar-manage cell enable {target.name})")
    if target.id == source.id:
        raise errors.ManageError(f"the server is in cell {source.name} already")


def _stream(conf) -> tasks.TaskStream:
    return tasks.TaskStream(redis_client.get(conf.redis.url),
                            tasks.build_stream_key(conf.redis.key_prefix),
                            tasks.SUPERCONDUCTOR_GROUP)


def start_move(conf, api_url: str, instance_uuid: str, source: api_cells.Cell,
               target: api_cells.Cell) -> Started:
    """Claim the server for the move in its cell and queue the task."""
    url = source.database_connection
    try:
        cell_instances.update(url, instance_uuid, expected_task_state=None,
                              expected_vm_states=cell_migration.MOVABLE_VM_STATES,
                              task_state=states.MIGRATING)
    except db_errors.Conflict:
        row = cell_instances.get(url, instance_uuid)
        raise errors.ManageError(
            f"server {instance_uuid} is {row.vm_state} (task_state {row.task_state}); only "
            "an active or stopped server with no task running can move") from None
    except db_errors.NotFound as error:
        raise errors.ManageError(f"server {instance_uuid} is not in cell {source.name}"
                                 ) from error
    request_id = context.new_request_id()
    cell_instances.start_action(url, instance_uuid, cell_migration.ACTION, request_id,
                                None, None)
    migration_uuid = cell_migration.migration_uuid_for(instance_uuid, request_id)
    cell_migration.record_start(url, cell_instances.get(url, instance_uuid), migration_uuid)
    payload = {"instance_uuid": instance_uuid, "target_cell_uuid": target.uuid,
               "migration_uuid": migration_uuid}
    try:
        _stream(conf).add(cell_migration.TASK_KIND, payload, request_id)
    except redis.RedisError as error:
        # Give the claim back, or the server would stay "migrating" for ever.
        cell_instances.update(url, instance_uuid,
                              expected_task_state=states.MIGRATING, task_state=None)
        cell_migration.record_failed(url, migration_uuid)
        raise errors.Unreachable(f"cannot queue the move: {error}") from error
    return Started(instance_uuid, request_id, source, target)


def poll(api_url: str, started: Started) -> Outcome:
    """Where the move stands, from the mapping and the two cells' rows."""
    try:
        mapping = api_instances.get_mapping(api_url, started.instance_uuid)
    except db_errors.NotFound:
        return Outcome(done=True, message="the server was deleted during the move")
    if mapping.queued_for_delete:
        return Outcome(done=True, message="the server was deleted during the move")
    if mapping.cell_id == started.target.id:
        return _poll_moved(started)
    url = started.source.database_connection
    try:
        row = cell_instances.get(url, started.instance_uuid)
    except db_errors.NotFound:
        return Outcome(done=True, message="the server is gone from its cell")
    if row.task_state == states.MIGRATING:
        return RUNNING
    fault = cell_instances.latest_faults(url, [started.instance_uuid]).get(
        started.instance_uuid)
    reason = fault.message if fault else f"it is {row.vm_state}/{row.task_state}"
    return Outcome(done=True, message=f"stayed in cell {started.source.name} "
                                      f"({row.vm_state}): {reason}")


def _poll_moved(started: Started) -> Outcome:
    """The mapping flipped: done once the target took over and the source is clean."""
    try:
        row = cell_instances.get(started.target.database_connection, started.instance_uuid)
    except db_errors.NotFound:
        return RUNNING
    if row.task_state in (states.MIGRATING, states.MIGRATED):
        return RUNNING
    try:
        cell_instances.get(started.source.database_connection, started.instance_uuid,
                           read_deleted=True)
        return RUNNING
    except db_errors.NotFound:
        pass
    return Outcome(done=True, moved=True,
                   message=f"moved from cell {started.source.name} to cell "
                           f"{started.target.name} (host {row.host}, {row.vm_state})")


def _timed_out(api_url: str, started: Started, timeout: float) -> Outcome:
    mapping = api_instances.get_mapping(api_url, started.instance_uuid)
    if mapping.cell_id == started.target.id:
        return Outcome(done=True, moved=True,
                       message=f"moved to cell {started.target.name}; cell "
                               f"{started.source.name} has not removed its copy yet")
    return Outcome(done=True, message=f"still moving after {timeout:g} s (request "
                                      f"{started.request_id}); it completes or rolls back "
                                      "on its own")


def wait(api_url: str, started: Started, timeout: float) -> Outcome:
    """Poll until the move ended or ``timeout`` passed."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = poll(api_url, started)
        if outcome.done:
            return outcome
        if time.monotonic() >= deadline:
            return _timed_out(api_url, started, timeout)
        time.sleep(POLL_INTERVAL)


def _source_of(api_url: str, instance_uuid: str) -> api_cells.Cell:
    try:
        mapping = api_instances.get_mapping(api_url, instance_uuid)
    except db_errors.NotFound as error:
        raise errors.ManageError(f"no server {instance_uuid}") from error
    if mapping.queued_for_delete:
        raise errors.ManageError(f"server {instance_uuid} is being deleted")
    if mapping.cell_id is None:
        raise errors.ManageError(f"server {instance_uuid} is still being scheduled")
    found = next((c for c in api_cells.list_all(api_url) if c.id == mapping.cell_id), None)
    if found is None:
        raise errors.ManageError(f"server {instance_uuid} maps to a cell that is gone")
    if found.is_cell0:
        raise errors.ManageError(f"server {instance_uuid} is in cell0: it never reached a "
                                 "host, so there is nothing to move")
    return found


def migrate_instance(conf, args: argparse.Namespace) -> int:
    """Move one server to another cell; wait for the outcome unless --no-wait."""
    api_url = database.require_api_database(conf)
    source = _source_of(api_url, args.server)
    target = _cell(api_url, args.to_cell)
    check_target(source, target)
    started = start_move(conf, api_url, args.server, source, target)
    if args.no_wait:
        print(f"move of server {args.server} from cell {source.name} to cell {target.name} "
              f"queued (request {started.request_id})")
        return EXIT_OK
    outcome = wait(api_url, started, args.timeout)
    if outcome.moved:
        print(f"server {args.server} {outcome.message}")
        return EXIT_OK
    raise errors.ManageError(f"server {args.server} was not moved: {outcome.message}")


def drain_cell(conf, args: argparse.Namespace) -> int:
    """Move every server of a cell to another cell, a line per server as each ends."""
    api_url = database.require_api_database(conf)
    source = _cell(api_url, args.cell)
    target = _cell(api_url, args.to_cell)
    if source.is_cell0:
        raise errors.ManageError("cell0 holds servers that never reached a host; they "
                                 "cannot move")
    if target.id == source.id:
        raise errors.ManageError("the target cell is the cell being drained")
    check_target(source, target)
    if args.parallel < 1:
        raise errors.ManageError("--parallel must be at least 1")
    waiting = deque(api_instances.uuids_in_cell(api_url, source.id))
    total = len(waiting)
    print(f"draining cell {source.name}: {total} server(s) to cell {target.name}")
    if not source.disabled:
        print(f"note: cell {source.name} is enabled and may get new servers meanwhile "
              f"(cellar-manage cell disable {source.name})")
    running: dict[str, tuple[Started, float]] = {}
    finished = failed = 0

    def report(instance_uuid: str, outcome: Outcome) -> None:
        nonlocal finished, failed
        finished += 1
        failed += not outcome.moved
        status = outcome.message if outcome.moved else f"FAILED: {outcome.message}"
        print(f"[{finished}/{total}] {instance_uuid}: {status}", flush=True)

    while waiting or running:
        while waiting and len(running) < args.parallel:
            instance_uuid = waiting.popleft()
            try:
                started = start_move(conf, api_url, instance_uuid, source, target)
            except errors.Unreachable:
                raise
            except errors.ManageError as error:
                report(instance_uuid, Outcome(done=True, message=str(error)))
                continue
            running[instance_uuid] = (started, time.monotonic() + args.timeout)
        for instance_uuid, (started, deadline) in list(running.items()):
            outcome = poll(api_url, started)
            if not outcome.done and time.monotonic() >= deadline:
                outcome = _timed_out(api_url, started, args.timeout)
            if outcome.done:
                del running[instance_uuid]
                report(instance_uuid, outcome)
        if running:
            time.sleep(POLL_INTERVAL)
    print(f"cell {source.name} drained: {finished - failed} moved, {failed} failed")
    return EXIT_REFUSED if failed else EXIT_OK
