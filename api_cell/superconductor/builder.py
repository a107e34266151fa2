"""The boot flow of the global tier, one build task at a time.

Every step is idempotent by instance uuid, because a build task can be delivered
twice (a worker died after doing part of it): an existing claim is reused, an existing
instance row is kept, and placing the build is a compare-and-swap on the build request.
"""

from __future__ import annotations

import logging
from typing import Any

from api_cell.scheduler.hosts import Selection
from api_cell.scheduler.scheduler import NoValidHost, Scheduler
from common import states, tasks
from common.placement_client import PlacementClient
from db import errors
from db.api import instances as api_instances
from db.api.cells import Cell, CellCache
from db.cell import instances as cell_instances

LOG = logging.getLogger(__name__)

class Builder:
    """Turns one build request into an instance in a cell (or in cell0, in ERROR)."""

    def __init__(self, api_url: str, cells: CellCache, scheduler: Scheduler,
                 placement: PlacementClient, redis_url: str, key_prefix: str) -> None:
        self.api_url = api_url
        self.cells = cells
        self.scheduler = scheduler
        self.placement = placement
        self.redis_url = redis_url
        self.key_prefix = key_prefix

    def build(self, instance_uuid: str, request_id: str) -> None:
        """Run the boot flow for ``instance_uuid`` as far as it has not run yet."""
        build = api_instances.get_build(self.api_url, instance_uuid)
        if build is None:
            self._build_request_gone(instance_uuid, request_id)
            return
        try:
            selection = self._existing_claim(instance_uuid) or self.scheduler.select(
                instance_uuid, build.spec)
        except NoValidHost as error:
            self._bury_in_cell0(build, request_id, str(error))
            return
        cell = self.cells.by_uuid(selection.cell_uuid)
        self._create_in_cell(cell, build, selection, request_id)
        if not api_instances.place(self.api_url, instance_uuid, cell.id):
            LOG.info("server %s was deleted while building; undoing", instance_uuid)
            self._undo(instance_uuid, [cell])
            return
        self._hand_to_cell(cell, instance_uuid, request_id)

    def give_up(self, instance_uuid: str, request_id: str, reason: str) -> None:
        """A build that failed every delivery: ERROR in cell0 with ``reason``, no claim."""
        build = api_instances.get_build(self.api_url, instance_uuid)
        if build is None:
            LOG.error("giving up build of %s, which a cell already holds", instance_uuid)
            return
        self._undo(instance_uuid, [c for c in self.cells.cells() if not c.is_cell0])
        self._bury_in_cell0(build, request_id, reason)

    def _existing_claim(self, instance_uuid: str) -> Selection | None:
        """The host claimed by an earlier delivery of this task, if any."""
        allocations = self.placement.allocations(instance_uuid)["allocations"]
        for node_uuid in allocations:
            live = self.scheduler.describe(node_uuid)
            if live is not None:
                resources = {rp: {"resources": a["resources"]} for rp, a in allocations.items()}
                return Selection(live["host"], node_uuid, live["cell_uuid"], resources)
        if allocations:
            # The claimed host stopped reporting: give its resources back and reschedule.
            self.placement.release(instance_uuid)
        return None

    def _create_in_cell(self, cell: Cell, build: api_instances.Build, selection: Selection,
                        request_id: str) -> None:
        cell_instances.create(cell.database_connection, **_instance_fields(
            build, vm_state=states.BUILDING, task_state=states.SPAWNING,
            host=selection.host, node=selection.host))
        cell_instances.start_action(cell.database_connection, build.instance_uuid, "create",
                                    request_id, build.user_id, build.project_id)

    def _hand_to_cell(self, cell: Cell, instance_uuid: str, request_id: str) -> None:
        stream = tasks.cell_stream(cell.queue_url, self.redis_url, self.key_prefix, cell.uuid)
        stream.add("build", {"instance_uuid": instance_uuid}, request_id)

    def _bury_in_cell0(self, build: api_instances.Build, request_id: str, reason: str) -> None:
        """Record an instance that could not be scheduled: ERROR in cell0, with a fault."""
        cell0 = self.cells.cell0()
        url = cell0.database_connection
        cell_instances.create(url, **_instance_fields(build, vm_state=states.ERROR,
                                                      task_state=None))
        cell_instances.start_action(url, build.instance_uuid, "create", request_id,
                                    build.user_id, build.project_id)
        cell_instances.add_fault(url, build.instance_uuid, 500, reason)
        cell_instances.record_event(url, build.instance_uuid, request_id,
                                    "conductor_schedule_and_build_instances", None, "Error",
                                    reason)
        if not api_instances.place(self.api_url, build.instance_uuid, cell0.id):
            self._undo(build.instance_uuid, [cell0])

    def _build_request_gone(self, instance_uuid: str, request_id: str) -> None:
        """A redelivered task: either already placed, or the tenant deleted the server."""
        try:
            mapping = api_instances.get_mapping(self.api_url, instance_uuid)
        except errors.NotFound:
            self._undo(instance_uuid, self.cells.cells())
            return
        if mapping.cell_id is not None and not mapping.queued_for_delete:
            cell = self.cells.by_id(mapping.cell_id)
            if not cell.is_cell0:
                self._hand_to_cell(cell, instance_uuid, request_id)

    def _undo(self, instance_uuid: str, cells: list[Cell]) -> None:
        """Leave nothing of a cancelled build: no claim, no instance row."""
        self.placement.release(instance_uuid)
        for cell in cells:
            cell_instances.purge(cell.database_connection, instance_uuid)


def _instance_fields(build: api_instances.Build, **overrides: Any) -> dict[str, Any]:
    snapshot = build.instance
    fields = {
        "uuid": build.instance_uuid,
        "project_id": build.project_id,
        "user_id": build.user_id,
        "display_name": snapshot["name"],
        "flavor": snapshot["flavor"],
        "image_ref": snapshot.get("image_ref"),
        "metadata_items": snapshot.get("metadata", {}),
        "availability_zone": snapshot.get("availability_zone"),
        "created_at": build.created_at,
    }
    fields.update(overrides)
    return fields
