"""Pause, suspend, rebuild and console output, from the API through the conductor to a
real agent on libvirt test:///default."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET

import libvirt
import pytest

from api_cell.api.app import create_app
from common import context, redis_client, states
from compute_agent.virt import libvirt as libvirt_driver
from db.api import images
from db.api import instances as api_instances
from db.cell import instances
from tests.functional.api.api_world import make_conf
from tests.functional.cell_services import cell_records

FLAVOR = {"id": "1", "name": "tiny", "vcpus": 1, "ram": 64, "disk": 1, "ephemeral": 0,
          "swap": 0, "extra_specs": {}}
OWNER = {"X-Auth-Token": "user:project"}






def _domain(host: str, instance_uuid: str) -> tuple[int | None, str | None]:
    """Power state and image of the guest as the hypervisor has it."""
    virt = libvirt_driver.LibvirtDriver("test:///default", host)
    try:
        state = virt.power_states([instance_uuid]).get(instance_uuid)
        if state is None:
            return None, None
        domain = virt.conn.lookupByName(libvirt_driver.domain_name(instance_uuid))
        metadata = ET.fromstring(domain.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT,
                                                  libvirt_driver.METADATA_NS))
        return state, metadata.findtext("image")
    finally:
        virt.close()


@pytest.fixture
def agent(start_agent):
    return start_agent()


@pytest.fixture
def api(cell, api_db, redis_url, redis_prefix, placement_endpoint):
    """A test client of the compute API over the conductor's cell."""
    application = create_app(make_conf(api_db, redis_url, redis_prefix,
                                       placement_endpoint=placement_endpoint,
                                       cell_timeout=2.0, max_limit=1000))
    yield application.test_client()
    application.extensions["cellar"]["backends"].pool.shutdown(wait=True)
    application.extensions["cellar"]["backends"].agents.close()
    redis_client.close_all()


@pytest.fixture
def booted(cell, agent, stream, placement, api_db, wait_for):
    """Factory: an instance built on ``agent`` and mapped in the API DB."""
    def boot() -> str:
        instance_uuid = str(uuid.uuid4())
        request_id = context.new_request_id()
        url = cell.database_connection
        placement.claim(instance_uuid, {agent.registration.node_uuid: {"resources": {
            "VCPU": 1, "MEMORY_MB": 64, "DISK_GB": 1}}}, "project", "user")
        api_instances.create_build(api_db, instance_uuid, "project", "user",
                                   {"name": "vm", "flavor": FLAVOR}, {})
        instances.create(url, uuid=instance_uuid, project_id="project", user_id="user",
                         display_name="vm", host=agent.host, node=agent.host, flavor=FLAVOR,
                         image_ref="image-1", vm_state=states.BUILDING,
                         task_state=states.SPAWNING)
        assert api_instances.place(api_db, instance_uuid, cell.id)
        instances.start_action(url, instance_uuid, "create", request_id, "user", "project")
        stream.add("build", {"instance_uuid": instance_uuid}, request_id)
        wait_for(lambda: instances.get(url, instance_uuid).vm_state == states.ACTIVE,
                 what="ACTIVE")
        return instance_uuid
    return boot


def _settled(url, instance_uuid, wait_for, what):
    return wait_for(lambda: (lambda row: row if row.task_state is None else None)(
        instances.get(url, instance_uuid)), what=what)


def _act(api, instance_uuid, body):
    reply = api.post(f"/v2.1/servers/{instance_uuid}/action", json=body, headers=OWNER)
    assert reply.status_code == 202, reply.json
    return reply


def test_pause_unpause_suspend_resume_through_the_api(cell, agent, booted, api, wait_for):
    url = cell.database_connection
    instance_uuid = booted()
    expected = [
        ("pause", states.VM_PAUSED, states.PAUSED, "PAUSED"),
        ("unpause", states.ACTIVE, states.RUNNING, "ACTIVE"),
        ("suspend", states.VM_SUSPENDED, states.SHUTDOWN, "SUSPENDED"),
        ("resume", states.ACTIVE, states.RUNNING, "ACTIVE"),
    ]
    for name, vm_state, power_state, status in expected:
        _act(api, instance_uuid, {name: None})
        row = _settled(url, instance_uuid, wait_for, name)
        assert (row.vm_state, row.power_state) == (vm_state, power_state), name
        assert _domain(agent.host, instance_uuid)[0] == power_state, name
        shown = api.get(f"/v2.1/servers/{instance_uuid}", headers=OWNER).json["server"]
        assert shown["status"] == status
    events = cell_records.events(url, instance_uuid)
    assert {name: events[name] for name in ("pause", "unpause", "suspend", "resume")} == {
        "pause": [("compute_pause_instance", "Success")],
        "unpause": [("compute_unpause_instance", "Success")],
        "suspend": [("compute_suspend_instance", "Success")],
        "resume": [("compute_resume_instance", "Success")],
    }


def test_suspended_server_can_be_deleted(cell, agent, booted, api, wait_for):
    url = cell.database_connection
    instance_uuid = booted()
    _act(api, instance_uuid, {"suspend": None})
    _settled(url, instance_uuid, wait_for, "suspend")
    assert api.delete(f"/v2.1/servers/{instance_uuid}", headers=OWNER).status_code == 204
    wait_for(lambda: instances.get(url, instance_uuid, read_deleted=True).deleted,
             what="delete")
    assert _domain(agent.host, instance_uuid) == (None, None)


@pytest.mark.parametrize("start_stopped", [False, True])
def test_rebuild_respawns_the_guest_with_the_new_image(cell, agent, booted, api, api_db,
                                                       wait_for, start_stopped):
    url = cell.database_connection
    instance_uuid = booted()
    if start_stopped:
        _act(api, instance_uuid, {"os-stop": None})
        _settled(url, instance_uuid, wait_for, "stop")
    image = images.create(api_db, "fedora")
    reply = _act(api, instance_uuid, {"rebuild": {"imageRef": image.uuid, "name": "new"}})
    assert reply.json["server"]["status"] == "REBUILD"
    row = _settled(url, instance_uuid, wait_for, "rebuild")
    expected = ((states.STOPPED, states.SHUTDOWN) if start_stopped
                else (states.ACTIVE, states.RUNNING))
    assert (row.vm_state, row.power_state) == expected
    assert (row.image_ref, row.display_name) == (image.uuid, "new")
    assert _domain(agent.host, instance_uuid) == (expected[1], image.uuid)
    assert cell_records.events(url, instance_uuid)["rebuild"] == [
        ("compute_rebuild_instance", "Success")]


def test_console_output_comes_from_the_agent(cell, agent, booted, api, wait_for):
    instance_uuid = booted()
    path = f"/v2.1/servers/{instance_uuid}/action"
    reply = api.post(path, json={"os-getConsoleOutput": {"length": 2}}, headers=OWNER)
    assert reply.status_code == 200, reply.json
    lines = reply.json["output"].splitlines()
    assert len(lines) == 2 and lines[-1] == "vm login: "
    whole = api.post(path, json={"os-getConsoleOutput": {"length": -1}}, headers=OWNER)
    assert instance_uuid in whole.json["output"]
    assert len(whole.json["output"].splitlines()) > 2
    none = api.post(path, json={"os-getConsoleOutput": {"length": "0"}}, headers=OWNER)
    assert none.json == {"output": ""}
    # A reboot adds to the log.
    _act(api, instance_uuid, {"reboot": {"type": "HARD"}})
    _settled(cell.database_connection, instance_uuid, wait_for, "reboot")
    after = api.post(path, json={"os-getConsoleOutput": None}, headers=OWNER).json["output"]
    assert after.count("login:") == 2


def test_failed_pause_keeps_the_state_and_records_a_fault(cell, agent, booted, api,
                                                           wait_for):
    url = cell.database_connection
    instance_uuid = booted()
    agent.virt.destroy(instance_uuid)  # the guest vanished behind Cellar's back
    _act(api, instance_uuid, {"pause": None})
    row = _settled(url, instance_uuid, wait_for, "pause")
    assert row.vm_state == states.ACTIVE
    assert "Pause" in cell_records.faults(url, instance_uuid)[0]
    assert cell_records.events(url, instance_uuid)["pause"] == [("compute_pause_instance", "Error")]
