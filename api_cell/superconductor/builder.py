"""The boot flow of the global tier, one build task at a time.

Every step is idempotent by instance uuid, because a build task can be delivered
twice (a worker died after doing part of it): an existing claim is reused, an existing
instance row is kept, and placing the build is a compare-and-swap on the build request.
A delivery that was only slow must not run beside the next one: each build holds a
lease on its instance uuid, and a delivery that finds it held is deferred.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from api_cell import quota
from api_cell.api.domain import networks, records
from api_cell.scheduler import zones
from api_cell.scheduler.hosts import Selection
from api_cell.scheduler.scheduler import NoValidHost, Scheduler
from common import leases, redis_client, states, tasks
from common.placement_client import PlacementClient
from db import errors
from db.api import fixed_ips
from db.api import instances as api_instances
from db.api.cells import Cell, CellCache
from db.cell import instances as cell_instances
from db.cell import tags as cell_tags

LOG = logging.getLogger(__name__)


class AddressUnavailable(Exception):
    """The instance cannot get the address(es) its create asked for."""


class Builder:
    """Turns one build request into an instance in a cell (or in cell0, in ERROR)."""

    def __init__(self, api_url: str, cells: CellCache, scheduler: Scheduler,
                 placement: PlacementClient, redis_url: str, key_prefix: str,
                 recheck_quota: bool = True,
                 network: networks.ProviderNetwork | None = None,
                 lease_seconds: float = 180.0) -> None:
        self.api_url = api_url
        self.cells = cells
        self.scheduler = scheduler
        # One set of breakers per process: what the builder finds down, the scheduler's
        # filters avoid.
        self.health = scheduler.health
        self.placement = placement
        self.redis_url = redis_url
        self.key_prefix = key_prefix
        self.recheck_quota = recheck_quota
        # Longer than a build takes; a holder that died delays its build this long.
        self.lease_seconds = lease_seconds
        # Read (and checked) once: a bad [network] section stops the process at start.
        self.network = network or networks.configured()

    def build(self, instance_uuid: str, request_id: str) -> None:
        """Run the boot flow for ``instance_uuid`` as far as it has not run yet
        (tasks.Deferred while another delivery of it runs)."""
        with self._lease(instance_uuid):
            self._build(instance_uuid, request_id)

    def lease_key(self, instance_uuid: str) -> str:
        """The Redis key of the lease a build of ``instance_uuid`` holds."""
        return f"{self.key_prefix}:build-lease:{instance_uuid}"

    def _lease(self, instance_uuid: str) -> contextlib.AbstractContextManager[None]:
        return leases.held(redis_client.get(self.redis_url), self.lease_key(instance_uuid),
                           self.lease_seconds)

    def _build(self, instance_uuid: str, request_id: str) -> None:
        build = api_instances.get_build(self.api_url, instance_uuid)
        if build is None:
            self._build_request_gone(instance_uuid, request_id)
            return
        try:
            cell = self._create_somewhere(build, request_id)
        except NoValidHost as error:
            self._bury_in_cell0(build, request_id, str(error))
            return
        except quota.QuotaExceeded as error:
            # 413 is the code Nova gives its quota faults; the claim is released already.
            self._bury_in_cell0(build, request_id, str(error), code=413)
            return
        except AddressUnavailable as error:
            self._bury_in_cell0(build, request_id, str(error))
            return
        if not api_instances.place(self.api_url, instance_uuid, cell.id):
            self._not_placed(instance_uuid, cell)
            return
        self._hand_to_cell(cell, instance_uuid, request_id)

    def give_up(self, instance_uuid: str, request_id: str, reason: str) -> None:
        """A build that failed every delivery: ERROR in cell0 with ``reason``, no claim."""
        with self._lease(instance_uuid):
            build = api_instances.get_build(self.api_url, instance_uuid)
            if build is None:
                LOG.error("giving up build of %s, which a cell already holds", instance_uuid)
                return
            self._undo(instance_uuid, self._real_cells())
            self._bury_in_cell0(build, request_id, reason)

    def _create_somewhere(self, build: api_instances.Build, request_id: str) -> Cell:
        """Choose a host and create the instance in its cell; the cell it went to.

        A cell found down on the way gets its breaker opened and its claim released,
        and the scheduler, which now filters that cell out, chooses again: each round
        rules out one more cell, so this ends, at worst in NoValidHost.
        """
        uuid = build.instance_uuid
        for _round in range(len(self.cells.cells()) + 1):
            selection = self._existing_claim(uuid) or self.scheduler.select(uuid, build.spec)
            cell = self.cells.by_uuid(selection.cell_uuid)
            self._recheck_quota(build, cell)
            self._allocate_addresses(build)
            try:
                self.health.call(cell, self._create_in_cell, build, selection, request_id)
                return cell
            except Exception as error:
                if not self.health.is_down(cell.uuid):
                    raise
                LOG.warning("cell %s is down; scheduling %s again elsewhere: %s",
                            cell.name, uuid, error)
                self.placement.release(uuid)
        raise NoValidHost("No valid host was found. The cells of every candidate host "
                          "are down.")

    def _recheck_quota(self, build: api_instances.Build, cell: Cell) -> None:
        """Count the project again now that this build's claim is in placement.

        Boots that raced past the API's check together all claimed before they got
        here, so the last of them sees every claim: it is failed (QuotaExceeded), with
        its claim released and nothing of it left in the claimed host's cell, if the
        project is over a limit. The build's own claim is counted once, so a redelivered
        task that passed before passes again unless others took the room meanwhile.
        """
        if not self.recheck_quota:
            return
        try:
            quota.recheck_server(self.api_url, self.placement, build.project_id,
                                 build.instance_uuid, build.spec.get("resources", {}))
        except quota.QuotaExceeded as error:
            LOG.info("server %s fails the quota recheck: %s", build.instance_uuid, error)
            # An earlier delivery that made this claim may have created the instance
            # in the claimed host's cell already.
            self._undo(build.instance_uuid, [cell])
            raise

    def _allocate_addresses(self, build: api_instances.Build) -> None:
        """Give the instance the addresses its create asked for, before any cell holds
        it. Idempotent: a redelivered build keeps the addresses it got.

        Allocating once the host is chosen means a build that finds no host never holds
        an address. If there is none to give (range exhausted, the fixed_ip asked for
        taken meanwhile, the network no longer configured), the claim is released and
        AddressUnavailable raised.
        """
        try:
            for wanted in build.spec.get(networks.SPEC_KEY, [{}]):
                network_uuid = wanted.get("uuid", self.network.uuid)
                if network_uuid != self.network.uuid:
                    raise AddressUnavailable(f"Network {network_uuid} could not be found.")
                fixed_ips.allocate(self.api_url, self.network, build.instance_uuid,
                                   wanted.get("fixed_ip"))
        except fixed_ips.Exhausted as error:
            self.placement.release(build.instance_uuid)
            raise AddressUnavailable(f"Build of instance {build.instance_uuid} aborted: "
                                     f"no more fixed IPs on network {self.network.name} "
                                     f"({self.network.uuid}).") from error
        except (errors.Duplicate, AddressUnavailable) as error:
            self.placement.release(build.instance_uuid)
            raise AddressUnavailable(f"Build of instance {build.instance_uuid} aborted: "
                                     f"{error}") from error

    def _real_cells(self) -> list[Cell]:
        return [cell for cell in self.cells.cells() if not cell.is_cell0]

    def _existing_claim(self, instance_uuid: str) -> Selection | None:
        """The host claimed by an earlier delivery of this task, if any, unless its
        cell is down now."""
        allocations = self.placement.allocations(instance_uuid)["allocations"]
        for node_uuid in allocations:
            live = self.scheduler.describe(node_uuid)
            if live is not None and not self.health.is_down(live["cell_uuid"]):
                resources = {rp: {"resources": a["resources"]} for rp, a in allocations.items()}
                return Selection(live["host"], node_uuid, live["cell_uuid"], resources)
        if allocations:
            # The claimed host stopped reporting, or its cell is down: give its
            # resources back and reschedule.
            self.placement.release(instance_uuid)
        return None

    def _create_in_cell(self, cell_url: str, build: api_instances.Build, selection: Selection,
                        request_id: str) -> None:
        cell_instances.create(cell_url, **_instance_fields(
            build, vm_state=states.BUILDING, task_state=states.SPAWNING,
            host=selection.host, node=selection.host,
            availability_zone=zones.zone_of(self.api_url, selection.host,
                                            self.scheduler.default_zone)))
        _copy_tags(cell_url, build)
        cell_instances.start_action(cell_url, build.instance_uuid, "create",
                                    request_id, build.user_id, build.project_id)

    def _hand_to_cell(self, cell: Cell, instance_uuid: str, request_id: str) -> None:
        stream = tasks.cell_stream(cell.queue_url, self.redis_url, self.key_prefix, cell.uuid)
        stream.add("build", {"instance_uuid": instance_uuid}, request_id)

    def _bury_in_cell0(self, build: api_instances.Build, request_id: str, reason: str,
                       code: int = 500) -> None:
        """Record an instance that could not be scheduled: ERROR in cell0, with a fault.

        It reached no host, so it holds no address (one an earlier delivery took is
        given back).
        """
        fixed_ips.release(self.api_url, build.instance_uuid)
        cell0 = self.cells.cell0()
        url = cell0.database_connection
        cell_instances.create(url, **_instance_fields(build, vm_state=states.ERROR,
                                                      task_state=None))
        _copy_tags(url, build)
        cell_instances.start_action(url, build.instance_uuid, "create", request_id,
                                    build.user_id, build.project_id)
        cell_instances.add_fault(url, build.instance_uuid, code, reason)
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

    def _not_placed(self, instance_uuid: str, cell: Cell) -> None:
        """The build request was gone when this delivery went to place the instance.

        Either the tenant deleted the server (undo all of it), or another delivery of
        the same task, running at the same time, placed it first: then the row in
        ``cell`` is the one that delivery created and handed to the cell (a create
        finds the existing row), and the claim and addresses are the instance's.
        Undoing them would destroy a server that is building or running.
        """
        try:
            mapping = api_instances.get_mapping(self.api_url, instance_uuid)
        except errors.NotFound:
            mapping = None
        if mapping is None or mapping.queued_for_delete:
            LOG.info("server %s was deleted while building; undoing", instance_uuid)
            self._undo(instance_uuid, [cell])
            return
        if mapping.cell_id != cell.id:
            # Placed elsewhere by the other delivery: only this cell's row is ours.
            self.health.call(cell, cell_instances.purge, instance_uuid)
        LOG.info("server %s was placed by another delivery of its build", instance_uuid)

    def _undo(self, instance_uuid: str, cells: list[Cell]) -> None:
        """Leave nothing of a cancelled build: no claim, no address, no instance row."""
        self.placement.release(instance_uuid)
        fixed_ips.release(self.api_url, instance_uuid)
        for cell in cells:
            try:
                self.health.call(cell, cell_instances.purge, instance_uuid)
            except Exception as error:
                if not self.health.is_down(cell.uuid):
                    raise
                # Nothing maps to a row left there: it is invisible, and harmless.
                LOG.warning("cell %s is down; a row of %s may be left in it: %s",
                            cell.name, instance_uuid, error)


def _copy_tags(cell_url: str, build: api_instances.Build) -> None:
    """The tags asked for at create (2.52) follow the instance into its cell."""
    cell_tags.add_missing(cell_url, build.instance_uuid, build.instance.get("tags") or ())


def _instance_fields(build: api_instances.Build, **overrides: Any) -> dict[str, Any]:
    """The instance row of a build request (with the columns its request spec
    decides)."""
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
        **records.spec_columns(build),
    }
    fields.update(overrides)
    return fields
