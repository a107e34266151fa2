"""Tasks on the cell's stream drive real agents to the states of doc/contracts.rst."""

import uuid

import pytest

from cell_services.service import Conductor, ConductorSettings
from common import context, states, tasks
from compute_agent.virt import libvirt as libvirt_driver
from db.cell import instances
from tests.functional.cell_services import cell_records

FLAVOR = {"id": "1", "name": "tiny", "vcpus": 1, "ram": 64, "disk": 1, "ephemeral": 0,
          "swap": 0, "extra_specs": {}}






def _domain_state(host: str, instance_uuid: str) -> int | None:
    virt = libvirt_driver.LibvirtDriver("test:///default", host)
    try:
        return virt.power_states([instance_uuid]).get(instance_uuid)
    finally:
        virt.close()


@pytest.fixture
def agent(start_agent):
    return start_agent()


@pytest.fixture
def booted(cell, agent, stream, placement, wait_for):
    """Factory: an instance built on ``agent`` through a build task (allocation claimed)."""
    def boot() -> str:
        instance_uuid = str(uuid.uuid4())
        request_id = context.new_request_id()
        url = cell.database_connection
        placement.claim(instance_uuid, {agent.registration.node_uuid: {"resources": {
            "VCPU": 1, "MEMORY_MB": 64, "DISK_GB": 1}}}, "project", "user")
        instances.create(url, uuid=instance_uuid, project_id="project", user_id="user",
                         display_name="vm", host=agent.host, node=agent.host, flavor=FLAVOR,
                         image_ref="cirros", vm_state=states.BUILDING,
                         task_state=states.SPAWNING)
        instances.start_action(url, instance_uuid, "create", request_id, "user", "project")
        stream.add("build", {"instance_uuid": instance_uuid}, request_id)
        wait_for(lambda: instances.get(url, instance_uuid).vm_state == states.ACTIVE,
                 what="ACTIVE")
        return instance_uuid
    return boot


def _act(cell, stream, instance_uuid, action, kind, task_state, vm_states, **payload):
    """What the API does for an action: compare-and-swap, action record, task."""
    request_id = context.new_request_id()
    url = cell.database_connection
    instances.update(url, instance_uuid, expected_task_state=None,
                     expected_vm_states=vm_states, task_state=task_state)
    instances.start_action(url, instance_uuid, action, request_id, "user", "project")
    stream.add(kind, {"instance_uuid": instance_uuid, **payload}, request_id)


def test_build_reaches_active_running(cell, agent, booted):
    instance_uuid = booted()
    instance = instances.get(cell.database_connection, instance_uuid)
    assert (instance.vm_state, instance.task_state, instance.power_state) == (
        states.ACTIVE, None, states.RUNNING)
    assert instance.launched_at is not None
    assert _domain_state(agent.host, instance_uuid) == states.RUNNING
    assert cell_records.events(cell.database_connection, instance_uuid) == {
        "create": [("compute__do_build_and_run_instance", "Success")]}


def test_stop_start_reboot_delete(cell, agent, booted, stream, placement, wait_for):
    url = cell.database_connection
    instance_uuid = booted()

    def settled():
        instance = instances.get(url, instance_uuid, read_deleted=True)
        return instance if instance.task_state is None else None

    _act(cell, stream, instance_uuid, "stop", "stop", states.POWERING_OFF,
         [states.ACTIVE, states.ERROR])
    instance = wait_for(settled, what="stop")
    assert (instance.vm_state, instance.power_state) == (states.STOPPED, states.SHUTDOWN)
    assert _domain_state(agent.host, instance_uuid) == states.SHUTDOWN

    _act(cell, stream, instance_uuid, "start", "start", states.POWERING_ON, [states.STOPPED])
    instance = wait_for(settled, what="start")
    assert (instance.vm_state, instance.power_state) == (states.ACTIVE, states.RUNNING)
    assert _domain_state(agent.host, instance_uuid) == states.RUNNING

    _act(cell, stream, instance_uuid, "reboot", "reboot", states.REBOOTING_HARD,
         [states.ACTIVE, states.STOPPED, states.ERROR], reboot_type="HARD")
    instance = wait_for(settled, what="reboot")
    assert (instance.vm_state, instance.power_state) == (states.ACTIVE, states.RUNNING)

    _act(cell, stream, instance_uuid, "delete", "delete", states.DELETING,
         [states.ACTIVE, states.STOPPED, states.ERROR])
    instance = wait_for(lambda: instances.get(url, instance_uuid, read_deleted=True).deleted
                        and instances.get(url, instance_uuid, read_deleted=True),
                        what="delete")
    assert instance.vm_state == states.DELETED
    assert _domain_state(agent.host, instance_uuid) is None
    assert placement.allocations(instance_uuid)["allocations"] == {}

    assert cell_records.events(url, instance_uuid) == {
        "create": [("compute__do_build_and_run_instance", "Success")],
        "stop": [("compute_stop_instance", "Success")],
        "start": [("compute_start_instance", "Success")],
        "reboot": [("compute_reboot_instance", "Success")],
        "delete": [("compute_terminate_instance", "Success")],
    }


def test_redelivered_build_does_no_harm(cell, agent, booted, stream, wait_for):
    url = cell.database_connection
    instance_uuid = booted()
    before = instances.get(url, instance_uuid)
    stream.add("build", {"instance_uuid": instance_uuid}, "req-redelivered")
    wait_for(lambda: stream.client.xlen(stream.key) == 0, what="task acked")
    after = instances.get(url, instance_uuid)
    assert (after.vm_state, after.power_state, after.launched_at) == (
        states.ACTIVE, states.RUNNING, before.launched_at)
    assert cell_records.events(url, instance_uuid) == {
        "create": [("compute__do_build_and_run_instance", "Success")]}
    assert cell_records.faults(url, instance_uuid) == []


def test_redelivered_delete_acks(cell, booted, stream, wait_for):
    url = cell.database_connection
    instance_uuid = booted()
    _act(cell, stream, instance_uuid, "delete", "delete", states.DELETING, [states.ACTIVE])
    wait_for(lambda: instances.get(url, instance_uuid, read_deleted=True).deleted,
             what="delete")
    stream.add("delete", {"instance_uuid": instance_uuid}, "req-again")
    wait_for(lambda: stream.client.xlen(stream.key) == 0, what="task acked")
    assert stream.pending_count() == 0


def test_spawn_failure_sets_error_with_fault_and_releases_claim(
        cell, agent, stream, placement, wait_for):
    url = cell.database_connection
    instance_uuid = str(uuid.uuid4())
    request_id = context.new_request_id()
    placement.claim(instance_uuid, {agent.registration.node_uuid: {"resources": {
        "VCPU": 1, "MEMORY_MB": 64}}}, "project", "user")
    # Scheduled to a host no agent of this cell ever registered: the spawn cannot run.
    instances.create(url, uuid=instance_uuid, project_id="project", user_id="user",
                     display_name="vm", host="nowhere", node="nowhere", flavor=FLAVOR,
                     vm_state=states.BUILDING, task_state=states.SPAWNING)
    instances.start_action(url, instance_uuid, "create", request_id, "user", "project")
    stream.add("build", {"instance_uuid": instance_uuid}, request_id)
    instance = wait_for(lambda: instances.get(url, instance_uuid).vm_state == states.ERROR
                        and instances.get(url, instance_uuid), what="ERROR")
    assert instance.task_state is None
    assert "nowhere" in cell_records.faults(url, instance_uuid)[0]
    assert placement.allocations(instance_uuid)["allocations"] == {}
    assert cell_records.events(url, instance_uuid)["create"] == [
        ("compute__do_build_and_run_instance", "Error")]


def test_unknown_kind_is_acked(stream, wait_for):
    stream.add("resize", {"instance_uuid": str(uuid.uuid4())}, "req-x")
    wait_for(lambda: stream.client.xlen(stream.key) == 0, what="task acked")
    assert stream.pending_count() == 0


def test_power_state_reports_reconcile_idle_instances(cell, agent, booted, wait_for):
    url = cell.database_connection
    instance_uuid = booted()
    # The guest stops behind Cellar's back; the next audit reports it.
    agent.virt.power_off(instance_uuid)
    wait_for(lambda: instances.get(url, instance_uuid).power_state == states.SHUTDOWN,
             what="reconciled power state")
    assert instances.get(url, instance_uuid).vm_state == states.ACTIVE


def test_task_of_a_dead_conductor_is_reclaimed(cell, api_db, redis_url, redis_prefix,
                                               placement, wait_for):
    url = cell.database_connection
    instance_uuid = str(uuid.uuid4())
    instances.create(url, uuid=instance_uuid, project_id="project", user_id="user",
                     display_name="vm", flavor=FLAVOR, vm_state=states.ERROR,
                     task_state=states.DELETING)
    stream = tasks.cell_stream(None, redis_url, redis_prefix, cell.uuid)
    stream.ensure_group()
    stream.add("delete", {"instance_uuid": instance_uuid}, "req-orphan")
    # A conductor read the task and died before acking it.
    assert len(stream.read("dead-conductor", count=1, block_ms=100)) == 1
    settings = ConductorSettings(cell="cell1", api_url=api_db, redis_url=redis_url,
                                 key_prefix=redis_prefix, host="survivor", workers=1,
                                 task_reclaim_idle=1.0)
    survivor = Conductor(settings, placement)
    survivor.start()
    try:
        wait_for(lambda: instances.get(url, instance_uuid, read_deleted=True).deleted,
                 what="the orphaned delete to run")
        wait_for(lambda: stream.pending_count() == 0, what="the task to be acked")
    finally:
        survivor.stop(grace=1)


def test_given_up_task_leaves_the_instance_in_error_with_a_fault(conductor, cell):
    url = cell.database_connection
    instance_uuid = str(uuid.uuid4())
    instances.create(url, uuid=instance_uuid, project_id="project", user_id="user",
                     display_name="vm", host="h", node="h", flavor=FLAVOR,
                     vm_state=states.ACTIVE, task_state=states.POWERING_OFF)
    poisoned = tasks.Task(id="1-0", kind="stop", payload={"instance_uuid": instance_uuid},
                          request_id="req-poison", deliveries=6)
    conductor._workers[0].give_up(poisoned)
    instance = instances.get(url, instance_uuid)
    assert (instance.vm_state, instance.task_state) == (states.ERROR, None)
    assert "stop failed 5 times" in cell_records.faults(url, instance_uuid)[0]
