"""What the conductor does for each kind of task on the cell's stream.

Transport-agnostic: it reads and writes the cell DB, calls agents through an
AgentClient and placement through a PlacementClient. Delivery is at least once, so
each operation first checks that the instance still waits for it (by vm_state and
task_state) and does nothing otherwise.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from common import states
from common.placement_client import PlacementClient
from common.tasks import Task
from db import errors
from db.api import fixed_ips
from db.base import utcnow
from db.cell import instances, migration_records, services
from db.cell.models import Instance
from protos.compute_client import (
    AgentClient,
    AgentError,
    AgentUnreachable,
    Guest,
    NetworkInterface,
)

LOG = logging.getLogger(__name__)

# Event names as the compute API shows them in os-instance-actions.
BUILD_EVENT = "compute__do_build_and_run_instance"
STOP_EVENT = "compute_stop_instance"
START_EVENT = "compute_start_instance"
REBOOT_EVENT = "compute_reboot_instance"
DELETE_EVENT = "compute_terminate_instance"
RECEIVE_EVENT = "compute_receive_instance"
FORGET_EVENT = "compute_forget_instance"
PAUSE_EVENT = "compute_pause_instance"
UNPAUSE_EVENT = "compute_unpause_instance"
SUSPEND_EVENT = "compute_suspend_instance"
RESUME_EVENT = "compute_resume_instance"
REBUILD_EVENT = "compute_rebuild_instance"


LOCK_STRIPES = 256


class HostUnknown(AgentError):
    """The instance's host is not a registered compute host of this cell."""


class InstanceOperations:
    """Runs the tasks of one cell; a task for one instance runs alone in this process."""

    def __init__(self, cell_url: str, agents: AgentClient, placement: PlacementClient,
                 api_url: str | None = None) -> None:
        self.cell_url = cell_url
        # The API DB, where the instances' fixed IPs are allocated (None: not released).
        self.api_url = api_url
        self.agents = agents
        self.placement = placement
        self._locks = [threading.Lock() for _ in range(LOCK_STRIPES)]
        self._handlers: dict[str, Callable[[str, dict[str, Any], str], None]] = {
            "build": self.build, "stop": self.stop, "start": self.start,
            "reboot": self.reboot, "delete": self.delete, "receive": self.receive,
            "forget": self.forget, "pause": self.pause, "unpause": self.unpause,
            "suspend": self.suspend, "resume": self.resume, "rebuild": self.rebuild}

    def handle(self, task: Task) -> None:
        """Run ``task``. Raises what should make the task be retried later."""
        handler = self._handlers.get(task.kind)
        instance_uuid = task.payload.get("instance_uuid")
        if handler is None or not instance_uuid:
            LOG.error("dropping task %s: unknown kind %r or no instance_uuid", task.id,
                      task.kind)
            return
        with self._lock(instance_uuid):
            handler(instance_uuid, task.payload, task.request_id)

    def give_up(self, task: Task) -> None:
        """A task that failed every delivery: its instance to ERROR, with a fault."""
        instance_uuid = task.payload.get("instance_uuid")
        try:
            instance = instances.get(self.cell_url, instance_uuid or "")
        except errors.NotFound:
            return
        reason = RuntimeError(f"{task.kind} failed {task.deliveries - 1} times; given up")
        self._fail(instance, reason, task.request_id, f"conductor_{task.kind}",
                   vm_state=states.ERROR)

    def _lock(self, instance_uuid: str) -> threading.Lock:
        # Two workers holding a redelivered task and its original must not interleave
        # (a delete racing a spawn could leave a guest behind). Locks are striped so
        # their number stays fixed however many instances pass through.
        return self._locks[hash(instance_uuid) % len(self._locks)]

    def _waiting(self, instance_uuid: str, task_states: tuple[str, ...]) -> Instance | None:
        """The instance if it still waits for a task in ``task_states``, else None."""
        try:
            instance = instances.get(self.cell_url, instance_uuid)
        except errors.NotFound:
            LOG.info("instance %s is gone; nothing to do", instance_uuid)
            return None
        if instance.task_state not in task_states:
            LOG.info("instance %s is %s/%s; task already done", instance_uuid,
                     instance.vm_state, instance.task_state)
            return None
        return instance

    def _compute(self, instance: Instance) -> services.ComputeHost:
        if not instance.host:
            raise HostUnknown(f"instance {instance.uuid} has no host")
        try:
            return services.get_compute(self.cell_url, instance.host)
        except errors.NotFound as error:
            raise HostUnknown(str(error)) from error

    def _fail(self, instance: Instance, error: Exception, request_id: str, event: str,
              **values: Any) -> None:
        """End the task in failure: keep a fault, clear task_state (and set ``values``).

        The fault and the event are written first, so whoever sees the task end
        (task_state cleared) also sees why.
        """
        LOG.error("%s of instance %s failed: %s", event, instance.uuid, error)
        instances.add_fault(self.cell_url, instance.uuid, 500, str(error))
        instances.record_event(self.cell_url, instance.uuid, request_id, event,
                               instance.host, "Error", traceback=str(error))
        try:
            instances.update(self.cell_url, instance.uuid,
                             expected_task_state=instance.task_state, task_state=None,
                             **values)
        except (errors.Conflict, errors.NotFound):
            LOG.info("instance %s changed meanwhile; leaving its state", instance.uuid)

    def _finish(self, instance: Instance, request_id: str, event: str,
                **values: Any) -> None:
        """End the task in success: record the event, set ``values``, clear task_state.

        The event comes first, so whoever sees the task end also sees it recorded
        (the host did its part even if the instance changed meanwhile).
        """
        instances.record_event(self.cell_url, instance.uuid, request_id, event,
                               instance.host, "Success")
        try:
            instances.update(self.cell_url, instance.uuid,
                             expected_task_state=instance.task_state, task_state=None,
                             **values)
        except (errors.Conflict, errors.NotFound):
            LOG.info("instance %s changed during %s; leaving its state", instance.uuid,
                     event)

    def build(self, instance_uuid: str, _payload: dict[str, Any], request_id: str) -> None:
        """Spawn the guest; ACTIVE/RUNNING, or ERROR with a fault and no allocation."""
        instance = self._waiting(instance_uuid, (states.SPAWNING,))
        if instance is None:
            return
        try:
            power_state = self.agents.spawn(self._compute(instance), self._guest(instance))
        except AgentError as error:
            self._fail(instance, error, request_id, BUILD_EVENT, vm_state=states.ERROR)
            self.placement.release(instance.uuid)
            return
        self._finish(instance, request_id, BUILD_EVENT, vm_state=states.ACTIVE,
                     power_state=power_state, launched_at=utcnow())

    def stop(self, instance_uuid: str, _payload: dict[str, Any], request_id: str) -> None:
        """Power the guest off; STOPPED/SHUTDOWN. On failure the vm_state stays."""
        instance = self._waiting(instance_uuid, (states.POWERING_OFF,))
        if instance is None:
            return
        try:
            power_state = self.agents.power_off(self._compute(instance), instance.uuid)
        except AgentError as error:
            self._fail(instance, error, request_id, STOP_EVENT)
            return
        self._finish(instance, request_id, STOP_EVENT, vm_state=states.STOPPED,
                     power_state=power_state)

    def start(self, instance_uuid: str, _payload: dict[str, Any], request_id: str) -> None:
        """Power the guest on; ACTIVE/RUNNING. On failure the vm_state stays."""
        instance = self._waiting(instance_uuid, (states.POWERING_ON,))
        if instance is None:
            return
        try:
            power_state = self.agents.power_on(self._compute(instance), instance.uuid)
        except AgentError as error:
            self._fail(instance, error, request_id, START_EVENT)
            return
        self._finish(instance, request_id, START_EVENT, vm_state=states.ACTIVE,
                     power_state=power_state)

    def reboot(self, instance_uuid: str, payload: dict[str, Any], request_id: str) -> None:
        """Restart the guest; ACTIVE/RUNNING, or ERROR with a fault."""
        instance = self._waiting(instance_uuid, (states.REBOOTING, states.REBOOTING_HARD))
        if instance is None:
            return
        hard = (payload.get("reboot_type") == "HARD"
                or instance.task_state == states.REBOOTING_HARD)
        try:
            power_state = self.agents.reboot(self._compute(instance), instance.uuid, hard)
        except AgentError as error:
            self._fail(instance, error, request_id, REBOOT_EVENT, vm_state=states.ERROR)
            return
        self._finish(instance, request_id, REBOOT_EVENT, vm_state=states.ACTIVE,
                     power_state=power_state)

    def _power_change(self, instance_uuid: str, request_id: str, task_state: str,
                      call: Callable[[services.ComputeHost, str], int], event: str,
                      vm_state: str) -> None:
        """One agent call that moves the guest to ``vm_state``; on failure the
        vm_state stays and a fault is kept."""
        instance = self._waiting(instance_uuid, (task_state,))
        if instance is None:
            return
        try:
            power_state = call(self._compute(instance), instance.uuid)
        except AgentError as error:
            self._fail(instance, error, request_id, event)
            return
        self._finish(instance, request_id, event, vm_state=vm_state,
                     power_state=power_state)

    def pause(self, instance_uuid: str, _payload: dict[str, Any], request_id: str) -> None:
        """Freeze the guest in memory; PAUSED/PAUSED."""
        self._power_change(instance_uuid, request_id, states.PAUSING, self.agents.pause,
                           PAUSE_EVENT, states.VM_PAUSED)

    def unpause(self, instance_uuid: str, _payload: dict[str, Any], request_id: str) -> None:
        """Thaw the guest; ACTIVE/RUNNING."""
        self._power_change(instance_uuid, request_id, states.UNPAUSING, self.agents.unpause,
                           UNPAUSE_EVENT, states.ACTIVE)

    def suspend(self, instance_uuid: str, _payload: dict[str, Any], request_id: str) -> None:
        """Save the guest to disk and stop it; SUSPENDED/SHUTDOWN."""
        self._power_change(instance_uuid, request_id, states.SUSPENDING,
                           self.agents.suspend, SUSPEND_EVENT, states.VM_SUSPENDED)

    def resume(self, instance_uuid: str, _payload: dict[str, Any], request_id: str) -> None:
        """Start the guest from its saved memory; ACTIVE/RUNNING."""
        self._power_change(instance_uuid, request_id, states.RESUMING, self.agents.resume,
                           RESUME_EVENT, states.ACTIVE)

    def rebuild(self, instance_uuid: str, _payload: dict[str, Any], request_id: str) -> None:
        """Replace the guest by a new one of the instance's (new) image.

        The API already wrote the new image, name and metadata on the row. The guest
        is destroyed and spawned again; a server that was stopped is powered off
        again, so it ends STOPPED, any other ends ACTIVE. On failure: ERROR, fault.
        """
        instance = self._waiting(instance_uuid, (states.REBUILDING,))
        if instance is None:
            return
        try:
            compute = self._compute(instance)
            self.agents.destroy(compute, instance.uuid)
            power_state = self.agents.spawn(compute, self._guest(instance))
            if instance.vm_state == states.STOPPED:
                power_state = self.agents.power_off(compute, instance.uuid)
        except AgentError as error:
            self._fail(instance, error, request_id, REBUILD_EVENT, vm_state=states.ERROR)
            return
        vm_state = states.STOPPED if instance.vm_state == states.STOPPED else states.ACTIVE
        self._finish(instance, request_id, REBUILD_EVENT, vm_state=vm_state,
                     power_state=power_state, launched_at=utcnow())

    def delete(self, instance_uuid: str, _payload: dict[str, Any], request_id: str) -> None:
        """Destroy the guest, release the allocation and the fixed IPs, soft-delete
        the row.

        The guest goes first: releasing the allocation (or the address) of a guest that
        still runs would let another instance be given its resources (or its address).
        """
        instance = self._waiting(instance_uuid, (states.DELETING,))
        if instance is None:
            return
        try:
            self.agents.destroy(self._compute(instance), instance.uuid)
        except (HostUnknown, AgentUnreachable) as error:
            LOG.warning("not destroying the guest of %s: %s", instance.uuid, error)
        except AgentError as error:
            self._fail(instance, error, request_id, DELETE_EVENT, vm_state=states.ERROR)
            return
        self.placement.release(instance.uuid)
        # Before the soft delete, so a redelivered task (which finds the row still
        # deleting) releases it if this worker died in between.
        if self.api_url:
            fixed_ips.release(self.api_url, instance.uuid)
        instances.soft_delete(self.cell_url, instance.uuid)
        instances.record_event(self.cell_url, instance.uuid, request_id, DELETE_EVENT,
                               instance.host, "Success")

    def receive(self, instance_uuid: str, _payload: dict[str, Any], request_id: str) -> None:
        """Spawn the copy of an instance moving into this cell; task_state ``migrated``.

        A stopped instance is powered off again once spawned. On failure the guest is
        destroyed and the copy ends in ERROR with a fault: the superconductor, which
        owns the allocations of the move, rolls it back. If the superconductor gave up
        on the move while the spawn ran (the copy is gone or changed), the new guest is
        destroyed so nothing is left behind.
        """
        instance = self._waiting(instance_uuid, (states.MIGRATING,))
        if instance is None:
            return
        try:
            compute = self._compute(instance)
            power_state = self.agents.spawn(compute, self._guest(instance))
            if instance.vm_state == states.STOPPED:
                power_state = self.agents.power_off(compute, instance.uuid)
        except AgentError as error:
            self._destroy_quietly(instance)
            self._fail(instance, error, request_id, RECEIVE_EVENT, vm_state=states.ERROR)
            return
        try:
            instances.update(self.cell_url, instance.uuid, expected_task_state=states.MIGRATING,
                             task_state=states.MIGRATED, power_state=power_state)
        except (errors.Conflict, errors.NotFound):
            LOG.info("move of %s into this cell was abandoned; destroying its guest",
                     instance.uuid)
            self._destroy_quietly(instance)
            return
        instances.record_event(self.cell_url, instance.uuid, request_id, RECEIVE_EVENT,
                               instance.host, "Success")

    def forget(self, instance_uuid: str, payload: dict[str, Any], _request_id: str) -> None:
        """Remove this cell's copy of an instance that lives in another cell now.

        Destroys the guest (skipped when its host is unknown or does not answer), then
        releases the placement consumer ``migration_uuid`` (the source allocation the
        move held) if the payload names one, then purges the row with its actions,
        faults and migration records (the other cell has their copy). Only a copy in a
        move (task_state ``migrating``/``migrated``) is touched. Another agent error
        leaves the task to be retried.
        """
        instance = self._waiting(instance_uuid, (states.MIGRATING, states.MIGRATED))
        if instance is not None:
            try:
                self.agents.destroy(self._compute(instance), instance.uuid)
            except (HostUnknown, AgentUnreachable) as error:
                LOG.warning("not destroying the guest of %s: %s", instance.uuid, error)
        migration_uuid = payload.get("migration_uuid")
        if migration_uuid:
            self.placement.release(migration_uuid)
        if instance is not None:
            # Its migration records go with it: the other cell holds their copies.
            migration_records.purge_instance(self.cell_url, instance.uuid)
            instances.purge(self.cell_url, instance.uuid)
            LOG.info("%s: copy of %s forgotten", FORGET_EVENT, instance.uuid)

    def _guest(self, instance: Instance) -> Guest:
        flavor = instance.flavor
        return Guest(instance_uuid=instance.uuid, name=instance.display_name,
                     vcpus=flavor["vcpus"], memory_mb=flavor["ram"],
                     root_gb=flavor["disk"], image_ref=instance.image_ref or "",
                     interfaces=self._interfaces(instance.uuid))

    def _interfaces(self, instance_uuid: str) -> tuple[NetworkInterface, ...]:
        """The instance's fixed IPs (API DB), for the guest's definition."""
        if not self.api_url:
            return ()
        held = fixed_ips.for_instances(self.api_url, [instance_uuid]).get(instance_uuid, [])
        return tuple(NetworkInterface(a.network_uuid, a.address, a.mac_address)
                     for a in held)

    def _destroy_quietly(self, instance: Instance) -> None:
        """Destroy the guest if its agent answers; a failure is only logged."""
        try:
            self.agents.destroy(self._compute(instance), instance.uuid)
        except AgentError as error:
            LOG.warning("could not destroy the guest of %s: %s", instance.uuid, error)
