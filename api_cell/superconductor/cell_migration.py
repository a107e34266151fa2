"""Cold migration of an instance from one cell to another (``migrate_cell`` tasks).

``cellar-manage cell migrate-instance`` claims the instance in its cell
(task_state ``migrating``, an instance action ``migrate``) and adds a
``migrate_cell`` task to the build stream. A superconductor runs it:

1. **hold the source allocation**: move the instance's allocation in placement to the
   migration's own consumer (``migration_uuid``), atomically (``POST /allocations``);
2. **claim the target**: choose a live host of the target cell and claim the same
   resources there under the instance's consumer;
3. **copy the record**: the instance row (host = the target host, task_state
   ``migrating``), its actions, events, faults and migration records go to the target
   cell DB;
4. **hand the receive**: a ``receive`` task on the target cell's stream; its conductor
   spawns the guest and sets task_state ``migrated`` (or ERROR with a fault);
5. **await the receive**: poll the target row, up to ``receive_timeout``;
6. **flip the mapping**: the instance mapping moves to the target cell in one API-DB
   transaction (a compare-and-swap on the source cell);
7. **roll forward**: a ``forget`` task on the source cell's stream (its conductor
   destroys the source guest, releases the migration consumer, purges the source row),
   then the target row's task_state is cleared and the action's event recorded.

The move keeps a **migration record** (os-migrations), uuid ``migration_uuid``, type
``migration``: created ``pre-migrating`` in the source cell when the instance is
claimed, ``migrating`` with the target host as the copy begins, copied hidden into the
target cell with the instance's other records (step 3), then at step 7 hidden in the
source (the source's ``forget`` purges it), shown in the target and
``post-migrating``, then ``completed``; a rollback makes it ``error`` and removes the
target's copies. Each write is create-if-absent or guarded by the status it
expects, so a redelivered or late step never duplicates a record nor moves it back.

A failure before the flip **rolls back**: the source allocation goes back to the
instance's consumer (which drops the target claim in the same call), the target copy
is removed (its conductor destroys a guest it spawned), and the source instance gets a
fault and task_state None: it keeps running where it was. After the flip there is no
way back, only forward. Every step is idempotent and works out where the move stands
from the databases and placement, so a task redelivered after a worker died resumes
where it stopped, and a task for a finished or rolled-back move does nothing.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import uuid as uuidlib
from collections.abc import Callable
from typing import Any

from api_cell.scheduler import filters
from api_cell.scheduler.hosts import Selection
from api_cell.scheduler.scheduler import NoValidHost, Scheduler
from common import states, tasks
from common.placement_client import GenerationConflict, PlacementClient
from db import errors
from db.api import instances as api_instances
from db.api.cells import Cell, CellCache
from db.cell import instances as cell_instances
from db.cell import migration_records
from db.cell.models import Instance

LOG = logging.getLogger(__name__)

TASK_KIND = "migrate_cell"
ACTION = "migrate"
EVENT = "conductor_migrate_server"
# task_states of a move (the cell conductor's receive/forget use the same names).
MOVABLE_VM_STATES = (states.ACTIVE, states.STOPPED)

# The migration record: Nova's type and statuses of a cold migration. Nova's cold
# migration ends "finished" and then "confirmed" once the user confirms it; a move
# between cells has no verify step, so it ends as Nova ends a move that needs no
# confirmation (a live migration): "completed". A rollback ends it in "error", the
# status Nova gives a cold migration that failed.
MIGRATION_TYPE = "migration"
STATUS_STARTED = "pre-migrating"
STATUS_COPYING = "migrating"
STATUS_FLIPPED = "post-migrating"
STATUS_DONE = "completed"
STATUS_FAILED = "error"
BEFORE_FLIP = (STATUS_STARTED, STATUS_COPYING)

_NAMESPACE = uuidlib.UUID("5f0c1f0e-3b7a-4c55-9a57-6c0e1a7f3d21")
_LOCK_STRIPES = 64


def migration_uuid_for(instance_uuid: str, request_id: str) -> str:
    """The placement consumer holding the source allocation during one move."""
    return str(uuidlib.uuid5(_NAMESPACE, f"{instance_uuid}/{request_id}"))


def record_start(cell_url: str, row: Instance, migration_uuid: str) -> None:
    """The move's migration record in the instance's (source) cell, ``pre-migrating``,
    unless it exists already (a redelivered task, or the command wrote it)."""
    flavor_id = row.flavor.get("id") if row.flavor else None
    flavor_id = None if flavor_id is None else str(flavor_id)
    # user_id/project_id name who started a migration: Nova takes them from the
    # request's context, the admin's. A move between cells is started by
    # cellar-manage, which works with database credentials and no Keystone identity,
    # so there is nobody to name and they stay null, as Nova shows them on records
    # without an initiator (its 'migrate' action names no user either). The instance's
    # owner did not ask for the move: naming it would make ``?project_id=`` find moves
    # that project never requested.
    migration_records.create_if_absent(
        cell_url, migration_uuid, row.uuid, MIGRATION_TYPE, STATUS_STARTED,
        source_compute=row.host, source_node=row.node, old_flavor_id=flavor_id,
        new_flavor_id=flavor_id)


def record_failed(cell_url: str, migration_uuid: str) -> None:
    """The move's record ends in ``error`` unless it got past the flip already."""
    migration_records.advance(cell_url, migration_uuid, STATUS_FAILED, BEFORE_FLIP)


class MigrationFailed(Exception):
    """A step before the flip failed; the move is rolled back."""


@dataclasses.dataclass(frozen=True)
class Move:
    """One move in progress: what every step needs to know."""

    instance_uuid: str
    request_id: str
    migration_uuid: str
    source: Cell
    target: Cell


def in_cell(cell_uuid: str) -> filters.HostFilter:
    """Keep only the hosts of one cell."""

    def check(candidate) -> str | None:
        if candidate.cell_uuid != cell_uuid:
            return f"host is not in cell {cell_uuid}"
        return None

    return check


class TargetCellSelector:
    """Chooses a host of one cell and claims resources on it.

    The scheduler's own pipeline with a cell filter. The candidates are asked for
    without a limit: with many cells, a limited sample may hold no host of the target
    cell.
    """

    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler

    def select(self, consumer: str, resources: dict[str, int], project_id: str,
               user_id: str, cell_uuid: str) -> Selection:
        """A live host of cell ``cell_uuid`` with room, its resources claimed."""
        return self.scheduler.place(
            consumer, resources, project_id, user_id,
            [filters.compute_service_up, in_cell(cell_uuid)], None,
            "No valid host was found in the target cell. ")


class CellMover:
    """Runs ``migrate_cell`` tasks (see the module docstring for the steps)."""

    def __init__(self, api_url: str, cells: CellCache, scheduler: Scheduler,
                 placement: PlacementClient, redis_url: str, key_prefix: str,
                 receive_timeout: float = 300.0, poll_interval: float = 0.1,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.api_url = api_url
        self.cells = cells
        self.selector = TargetCellSelector(scheduler)
        self.scheduler = scheduler
        self.placement = placement
        self.redis_url = redis_url
        self.key_prefix = key_prefix
        self.receive_timeout = receive_timeout
        self.poll_interval = poll_interval
        self.sleep = sleep
        self._locks = [threading.Lock() for _ in range(_LOCK_STRIPES)]

    # -- entry point -----------------------------------------------------------------

    def handle(self, task: tasks.Task) -> None:
        """Run one ``migrate_cell`` task; raises what should make it be retried."""
        payload = task.payload
        instance_uuid = payload["instance_uuid"]
        with self._locks[hash(instance_uuid) % _LOCK_STRIPES]:
            self.migrate(instance_uuid, payload["target_cell_uuid"], task.request_id,
                         payload.get("migration_uuid"))

    def migrate(self, instance_uuid: str, target_cell_uuid: str, request_id: str,
                migration_uuid: str | None = None) -> None:
        """Move the instance to the target cell as far as that has not happened yet."""
        located = self._locate(instance_uuid, target_cell_uuid, request_id,
                               migration_uuid or migration_uuid_for(instance_uuid, request_id))
        if located is None:
            return
        move, mapping = located
        if mapping.cell_id == move.target.id:
            self._roll_forward(move, mapping.queued_for_delete)
            return
        try:
            source_row = self._source_row(move, mapping)
            if source_row is None:
                return
            record_start(move.source.database_connection, source_row, move.migration_uuid)
            self._check_target(move)
            held = self._hold_source_allocation(move, source_row)
            selection = self._claim_target(move, source_row, held)
            self._copy_record(move, source_row, selection)
            self._hand_receive(move)
            self._await_receive(move)
            self._flip_mapping(move)
        except MigrationFailed as error:
            self._roll_back(move, str(error))
            return
        self._roll_forward(move, queued_for_delete=False)

    # -- the steps ---------------------------------------------------------------------

    def _locate(self, instance_uuid: str, target_cell_uuid: str, request_id: str,
                migration_uuid: str) -> tuple[Move, api_instances.Mapping] | None:
        """Which cells the move runs between; None when there is nothing to do."""
        try:
            mapping = api_instances.get_mapping(self.api_url, instance_uuid)
        except errors.NotFound:
            LOG.info("not moving %s: the server is gone", instance_uuid)
            self.placement.release(migration_uuid)
            return None
        try:
            target = self.cells.by_uuid(target_cell_uuid)
        except errors.NotFound:
            LOG.error("not moving %s: no cell %s", instance_uuid, target_cell_uuid)
            return None
        if mapping.cell_id is None:
            LOG.info("not moving %s: it is not in a cell", instance_uuid)
            return None
        if mapping.cell_id == target.id:
            # Flipped already (a redelivered task): only the source is left to clean.
            source = self._source_of_flipped(instance_uuid, target)
            if source is None:
                return None
        else:
            source = self.cells.by_id(mapping.cell_id)
        return Move(instance_uuid, request_id, migration_uuid, source, target), mapping

    def _source_of_flipped(self, instance_uuid: str, target: Cell) -> Cell | None:
        """The cell still holding the source copy of a flipped move, if any."""
        for cell in self.cells.cells():
            if cell.id == target.id or cell.is_cell0:
                continue
            try:
                row = cell_instances.get(cell.database_connection, instance_uuid)
            except errors.NotFound:
                continue
            if row.task_state == states.MIGRATING:
                return cell
        # Nothing left in a source cell: finish the target side against itself.
        return target

    def _source_row(self, move: Move, mapping: api_instances.Mapping) -> Instance | None:
        """The source instance if it still waits for this move, else None."""
        try:
            row = cell_instances.get(move.source.database_connection, move.instance_uuid)
        except errors.NotFound:
            LOG.info("not moving %s: it is gone from cell %s", move.instance_uuid,
                     move.source.name)
            record_failed(move.source.database_connection, move.migration_uuid)
            return None
        if row.task_state != states.MIGRATING:
            LOG.info("not moving %s: it is %s/%s (move done or rolled back)",
                     move.instance_uuid, row.vm_state, row.task_state)
            # Nothing will take this move further: a record it left open ends here.
            record_failed(move.source.database_connection, move.migration_uuid)
            return None
        if mapping.queued_for_delete:
            raise MigrationFailed("the server was deleted during the move")
        return row

    def _check_target(self, move: Move) -> None:
        target = move.target
        if target.is_cell0 or target.disabled or target.id == move.source.id:
            raise MigrationFailed(f"cell {target.name} cannot take the server (cell0, "
                                  "disabled or its own cell)")

    def _hold_source_allocation(self, move: Move, source_row: Instance) -> dict[str, Any]:
        """Give the source allocation to the migration consumer; what it holds."""
        held = self.placement.allocations(move.migration_uuid)
        if held["allocations"]:
            return held["allocations"]
        current = self.placement.allocations(move.instance_uuid)
        if not current["allocations"]:
            LOG.warning("instance %s holds no allocation in its source cell",
                        move.instance_uuid)
            return {}
        self._post_allocations({
            move.instance_uuid: _entry({}, source_row, current.get("consumer_generation")),
            move.migration_uuid: _entry(current["allocations"], source_row, None)})
        return current["allocations"]

    def _claim_target(self, move: Move, source_row: Instance,
                      held: dict[str, Any]) -> Selection:
        """A host of the target cell with the instance's resources claimed on it."""
        existing = self.placement.allocations(move.instance_uuid)["allocations"]
        for node_uuid in existing:
            live = self.scheduler.describe(node_uuid)
            if live is not None and live["cell_uuid"] == move.target.uuid:
                return Selection(live["host"], node_uuid, move.target.uuid,
                                 {rp: {"resources": a["resources"]}
                                  for rp, a in existing.items()})
        if existing:
            # An earlier delivery claimed a host that stopped reporting: claim again.
            self.placement.release(move.instance_uuid)
        resources = _resources(held) or _flavor_resources(source_row.flavor)
        try:
            return self.selector.select(move.instance_uuid, resources, source_row.project_id,
                                        source_row.user_id, move.target.uuid)
        except NoValidHost as error:
            if self.placement.allocations(move.instance_uuid)["allocations"]:
                # Another delivery of this task claimed first: let the retry use it.
                raise RuntimeError(f"{move.instance_uuid} was claimed concurrently") from error
            raise MigrationFailed(str(error)) from error

    def _copy_record(self, move: Move, source_row: Instance, selection: Selection) -> None:
        """The instance, its actions, events, faults and migration records, in the
        target cell DB."""
        url = move.target.database_connection
        source_url = move.source.database_connection
        migration_records.advance(source_url, move.migration_uuid, STATUS_COPYING,
                                  BEFORE_FLIP, dest_compute=selection.host,
                                  dest_node=selection.host, dest_host=selection.host)
        # Hidden until the flip: the source's records are the ones os-migrations lists.
        migration_records.copy_for_instance(source_url, url, move.instance_uuid,
                                            hidden=True)
        try:
            existing = cell_instances.get(url, move.instance_uuid, read_deleted=True)
        except errors.NotFound:
            existing = None
        if existing is not None and existing.deleted:
            cell_instances.purge(url, move.instance_uuid)
            existing = None
        if existing is None:
            # History first: a row in the target means its history was copied.
            cell_instances.copy_history(move.source.database_connection, url,
                                        move.instance_uuid)
            fields = {column.key: getattr(source_row, column.key)
                      for column in Instance.__table__.columns if column.key != "id"}
            fields.update(host=selection.host, node=selection.host, task_state=states.MIGRATING,
                          power_state=states.NOSTATE)
            cell_instances.create(url, **fields)
        elif existing.host != selection.host:
            cell_instances.update(url, move.instance_uuid, host=selection.host,
                                  node=selection.host, task_state=states.MIGRATING,
                                  vm_state=source_row.vm_state)

    def _hand_receive(self, move: Move) -> None:
        row = cell_instances.get(move.target.database_connection, move.instance_uuid)
        if row.task_state == states.MIGRATING:
            self._stream(move.target).add("receive", {"instance_uuid": move.instance_uuid},
                                          move.request_id)

    def _await_receive(self, move: Move) -> None:
        """Wait until the target conductor spawned the guest; MigrationFailed otherwise."""
        url = move.target.database_connection
        deadline = time.monotonic() + self.receive_timeout
        while True:
            try:
                row = cell_instances.get(url, move.instance_uuid)
            except errors.NotFound as error:
                raise MigrationFailed("the copy in the target cell vanished") from error
            if row.task_state == states.MIGRATED:
                return
            if row.task_state != states.MIGRATING:
                fault = cell_instances.latest_faults(url, [move.instance_uuid]).get(
                    move.instance_uuid)
                raise MigrationFailed("spawning on the target host failed: " + (
                    fault.message if fault else f"state {row.vm_state}"))
            if time.monotonic() >= deadline:
                raise MigrationFailed(f"the target cell's conductor did not spawn the "
                                      f"guest within {self.receive_timeout:g} s")
            self.sleep(self.poll_interval)

    def _flip_mapping(self, move: Move) -> None:
        """Point the mapping at the target cell (one API-DB transaction)."""
        if api_instances.move_mapping(self.api_url, move.instance_uuid, move.source.id,
                                      move.target.id):
            LOG.info("instance %s now maps to cell %s", move.instance_uuid,
                     move.target.name)
            return
        mapping = api_instances.get_mapping(self.api_url, move.instance_uuid)
        if mapping.cell_id == move.target.id and not mapping.queued_for_delete:
            return
        raise MigrationFailed("the server was deleted during the move")

    def _roll_forward(self, move: Move, queued_for_delete: bool) -> None:
        """After the flip: clean the source, hand the instance over in the target."""
        self._record_flip(move)
        if move.source.id != move.target.id:
            self._stream(move.source).add("forget", {
                "instance_uuid": move.instance_uuid, "migration_uuid": move.migration_uuid},
                move.request_id)
        else:
            self.placement.release(move.migration_uuid)
        url = move.target.database_connection
        # The flip cannot be undone and the source is handed its clean-up: the move is
        # complete, whatever comes of the server now.
        migration_records.advance(url, move.migration_uuid, STATUS_DONE, (STATUS_FLIPPED,))
        try:
            row = cell_instances.get(url, move.instance_uuid)
        except errors.NotFound:
            return
        if queued_for_delete:
            self._delete_in_target(move, row)
            return
        if row.task_state != states.MIGRATED:
            return
        try:
            cell_instances.update(url, move.instance_uuid, expected_task_state=states.MIGRATED,
                                  task_state=None)
        except (errors.Conflict, errors.NotFound):
            return
        cell_instances.record_event(url, move.instance_uuid, move.request_id, EVENT,
                                    row.host, "Success")
        LOG.info("instance %s moved from cell %s to cell %s (host %s)", move.instance_uuid,
                 move.source.name, move.target.name, row.host)

    def _record_flip(self, move: Move) -> None:
        """The records follow the instance: hidden in the source, shown in the target,
        the move's own ``post-migrating``.

        Hiding comes first: a list read between the two writes misses the move for an
        instant rather than showing it twice.
        """
        if move.source.id != move.target.id:
            migration_records.set_hidden(move.source.database_connection,
                                         move.instance_uuid, True)
        url = move.target.database_connection
        migration_records.set_hidden(url, move.instance_uuid, False)
        migration_records.advance(url, move.migration_uuid, STATUS_FLIPPED, BEFORE_FLIP)

    def _delete_in_target(self, move: Move, row: Instance) -> None:
        """The tenant deleted the server as the mapping flipped: delete it in the target."""
        if row.task_state != states.DELETING:
            try:
                cell_instances.update(move.target.database_connection, move.instance_uuid,
                                      expected_task_state=row.task_state,
                                      task_state=states.DELETING)
            except (errors.Conflict, errors.NotFound):
                return
        self._stream(move.target).add("delete", {"instance_uuid": move.instance_uuid},
                                      move.request_id)

    def _roll_back(self, move: Move, reason: str) -> None:
        """Before the flip: leave the instance as it was in its source cell."""
        LOG.warning("moving %s from cell %s to cell %s failed: %s", move.instance_uuid,
                    move.source.name, move.target.name, reason)
        self._restore_source_allocation(move)
        self._clean_target(move)
        url = move.source.database_connection
        record_failed(url, move.migration_uuid)
        message = f"migration to cell {move.target.name} failed: {reason}"
        try:
            row = cell_instances.get(url, move.instance_uuid)
        except errors.NotFound:
            return
        if row.task_state != states.MIGRATING:
            return
        cell_instances.add_fault(url, move.instance_uuid, 500, message)
        cell_instances.record_event(url, move.instance_uuid, move.request_id, EVENT,
                                    row.host, "Error", traceback=message)
        try:
            cell_instances.update(url, move.instance_uuid, expected_task_state=states.MIGRATING,
                                  task_state=None)
        except (errors.Conflict, errors.NotFound):
            LOG.info("instance %s changed during the rollback; leaving its state",
                     move.instance_uuid)

    def _restore_source_allocation(self, move: Move, attempts: int = 5) -> None:
        """The instance's consumer gets the source allocation back, the target claim
        goes, and the migration consumer is emptied: one atomic placement call."""
        for attempt in range(attempts):
            held = self.placement.allocations(move.migration_uuid)
            if not held["allocations"]:
                return
            current = self.placement.allocations(move.instance_uuid)
            owner = {"project_id": held["project_id"], "user_id": held["user_id"]}
            try:
                self._post_allocations({
                    move.instance_uuid: {"allocations": _plain(held["allocations"]), **owner,
                                         "consumer_generation":
                                             current.get("consumer_generation")},
                    move.migration_uuid: {"allocations": {}, **owner,
                                          "consumer_generation":
                                              held.get("consumer_generation")}})
                return
            except GenerationConflict:
                if attempt == attempts - 1:
                    raise

    def _clean_target(self, move: Move) -> None:
        """Remove the target copy; its conductor destroys a guest it already spawned."""
        url = move.target.database_connection
        if move.target.id != move.source.id:
            # Hidden copies (the source keeps the records); they may exist without the
            # instance row, copied just before a worker died.
            migration_records.purge_instance(url, move.instance_uuid)
        try:
            row = cell_instances.get(url, move.instance_uuid)
        except errors.NotFound:
            return
        if row.task_state == states.MIGRATING:
            # Give up on the receive first: one still running then sees the change and
            # destroys the guest it spawned.
            try:
                cell_instances.update(url, move.instance_uuid, expected_task_state=states.MIGRATING,
                                      task_state=None, vm_state=states.ERROR)
                row = cell_instances.get(url, move.instance_uuid)
            except errors.Conflict:
                row = cell_instances.get(url, move.instance_uuid)
        if row.task_state == states.MIGRATED:
            self._stream(move.target).add("forget", {"instance_uuid": move.instance_uuid},
                                          move.request_id)
        elif row.task_state is None:
            cell_instances.purge(url, move.instance_uuid)

    # -- helpers -------------------------------------------------------------------------

    def _stream(self, cell: Cell) -> tasks.TaskStream:
        return tasks.cell_stream(cell.queue_url, self.redis_url, self.key_prefix, cell.uuid)

    def _post_allocations(self, body: dict[str, Any]) -> None:
        # POST /allocations (placement 1.13+): several consumers, one transaction.
        self.placement.post_allocations(body)


def _plain(allocations: dict[str, Any]) -> dict[str, Any]:
    """GET /allocations' shape turned into what a write takes."""
    return {rp: {"resources": dict(a["resources"])} for rp, a in allocations.items()}


def _entry(allocations: dict[str, Any], row: Instance, generation: int | None
           ) -> dict[str, Any]:
    return {"allocations": _plain(allocations), "project_id": row.project_id,
            "user_id": row.user_id, "consumer_generation": generation}


def _resources(allocations: dict[str, Any]) -> dict[str, int]:
    """Amounts by resource class over every provider of an allocation."""
    total: dict[str, int] = {}
    for allocation in allocations.values():
        for rc, amount in allocation["resources"].items():
            total[rc] = total.get(rc, 0) + int(amount)
    return total


def _flavor_resources(flavor: dict[str, Any]) -> dict[str, int]:
    return {"VCPU": int(flavor["vcpus"]), "MEMORY_MB": int(flavor["ram"]),
            "DISK_GB": int(flavor.get("disk", 0)) + int(flavor.get("ephemeral", 0) or 0)}
