"""What microversions 2.80 to 2.100 change in the resources Cellar serves.

All of them are advertised.
"""

from __future__ import annotations

import uuid

import pytest

from db.api import instances as api_instances
from db.base import utcnow
from db.cell import instances as cell_instances
from db.cell.models import ComputeNode, Service
from db.engine import session_for
from tests.functional.api.api_world import ADMIN, ALICE, BOB


def v(version: str, headers: dict) -> dict:
    return {**headers, "OpenStack-API-Version": f"compute {version}"}


@pytest.fixture
def catalog(world):
    world.flavor()
    return world.image(properties={"os_distro": "cirros", "hw_disk_bus": "virtio"})


def _boot(client, image, version, headers=ALICE, hints=None, **fields):
    body = {"server": {"name": "my server", "flavorRef": "1", "imageRef": image.uuid,
                       "networks": "none", **fields}}
    if hints is not None:
        body["os:scheduler_hints"] = hints
    return client.post("/v2.1/servers", json=body, headers=v(version, headers))


def _ids(client, query, version, headers=ALICE):
    reply = client.get(f"/v2.1/servers?{query}", headers=v(version, headers))
    assert reply.status_code == 200, reply.json
    return {s["id"] for s in reply.json["servers"]}


# 2.83 -----------------------------------------------------------------------------

def test_state_filters_open_to_everyone_from_2_83(client, world, catalog):
    running = world.instance("cell1")
    stopped = world.instance("cell2", vm_state="stopped", power_state=4)
    other_user = world.instance("cell1", user_id="carol", availability_zone="az2")
    building = _boot(client, catalog, "2.83").json["server"]["id"]
    everyone = {running, stopped, other_user, building}

    assert _ids(client, "vm_state=stopped", "2.82") == everyone
    assert _ids(client, "vm_state=stopped", "2.83") == {stopped}
    assert _ids(client, "vm_state=stopped&all_tenants=1", "2.82", ADMIN) == {stopped}
    assert _ids(client, "vm_state=building", "2.83") == {building}
    assert _ids(client, "task_state=scheduling", "2.83") == {building}
    assert _ids(client, "power_state=4", "2.83") == {stopped}
    assert _ids(client, "power_state=0", "2.83") == {building}
    assert _ids(client, "user_id=carol", "2.83") == {other_user}
    assert _ids(client, "user_id=alice", "2.83") == {running, stopped, building}
    assert _ids(client, "availability_zone=az2", "2.83") == {other_user}
    assert client.get("/v2.1/servers?power_state=on",
                      headers=v("2.83", ALICE)).status_code == 400


# 2.84 -----------------------------------------------------------------------------

def test_failed_event_details_from_2_84(client, world):
    server_id = world.instance("cell1")
    url = world.cells["cell1"].database_connection
    cell_instances.start_action(url, server_id, "stop", "req-1", "alice", "project-a")
    cell_instances.record_event(url, server_id, "req-1", "compute_stop", "h1", "Error",
                                traceback="agent did not answer")
    cell_instances.start_action(url, server_id, "start", "req-2", "alice", "project-a")
    cell_instances.record_event(url, server_id, "req-2", "compute_start", "h1", "Success")
    path = f"/v2.1/servers/{server_id}/os-instance-actions"
    [failed] = client.get(f"{path}/req-1", headers=v("2.84", ALICE)).json[
        "instanceAction"]["events"]
    assert failed["details"] == "agent did not answer" and "traceback" not in failed
    [fine] = client.get(f"{path}/req-2", headers=v("2.84", ALICE)).json[
        "instanceAction"]["events"]
    assert fine["details"] is None
    [old] = client.get(f"{path}/req-1", headers=v("2.83", ALICE)).json[
        "instanceAction"]["events"]
    assert "details" not in old


# 2.86 -----------------------------------------------------------------------------

@pytest.mark.parametrize("specs", [
    {"resources:VCPU": "two"}, {"resources:VCPU": "-1"}, {"resources:vcpu": "1"},
    {"resources1:CUSTOM_X": "x"}, {"trait:HW_CPU_X86_AVX": "wanted"},
    {"trait1:HW-CPU": "required"}, {"hw:cpu_policy": "pinned"}, {"hw:numa_nodes": "0"},
    {"hw:cpu_realtime": "maybe"}, {"hw:numa_mem.0": "none"},
])
def test_extra_spec_validation_from_2_86(client, specs):
    client.post("/v2.1/flavors", headers=ADMIN, json={"flavor": {
        "name": "f", "ram": 512, "vcpus": 1, "disk": 1, "id": "1"}})
    path = "/v2.1/flavors/1/os-extra_specs"
    reply = client.post(path, headers=v("2.86", ADMIN), json={"extra_specs": specs})
    assert reply.status_code == 400, specs
    assert "Validation failed" in reply.json["badRequest"]["message"]
    [(key, value)] = specs.items()
    assert client.put(f"{path}/{key}", headers=v("2.86", ADMIN),
                      json={key: value}).status_code == 400
    assert client.post(path, headers=v("2.85", ADMIN),
                       json={"extra_specs": specs}).status_code == 200


def test_valid_and_unknown_extra_specs_pass_at_2_86(client):
    client.post("/v2.1/flavors", headers=ADMIN, json={"flavor": {
        "name": "f", "ram": 512, "vcpus": 1, "disk": 1, "id": "1"}})
    specs = {"resources:VCPU": "0", "resources_G1:CUSTOM_FPGA": "2",
             "trait:HW_CPU_X86_AVX": "required", "trait1:CUSTOM_RAID": "forbidden",
             "hw:cpu_policy": "dedicated", "hw:numa_nodes": 2, "hw:cpu_realtime": True,
             "hw:numa_cpus.0": "0-3,^2", "hw:mem_page_size": "2MB",
             "hw:some_newer_key": "x", "vmware:whatever": "y", "plain": "z"}
    reply = client.post("/v2.1/flavors/1/os-extra_specs", headers=v("2.86", ADMIN),
                        json={"extra_specs": specs})
    assert reply.status_code == 200, reply.json


# 2.88 -----------------------------------------------------------------------------

def test_hypervisor_details_lose_usage_from_2_88(client, world):
    node = str(uuid.uuid4())
    with session_for(world.cells["cell1"].database_connection) as session:
        service = Service(uuid=str(uuid.uuid4()), host="h1", binary="cellar-compute",
                          last_seen_up=utcnow())
        session.add(service)
        session.flush()
        session.add(ComputeNode(uuid=node, host="h1", hypervisor_hostname="h1",
                                hypervisor_type="QEMU", vcpus=8, memory_mb=4096,
                                local_gb=100, rpc_address="10.0.0.1:50051",
                                service_id=service.id))
    gone = {"current_workload", "cpu_info", "vcpus", "vcpus_used", "free_disk_gb",
            "local_gb", "local_gb_used", "disk_available_least", "free_ram_mb",
            "memory_mb", "memory_mb_used", "running_vms"}
    old = client.get(f"/v2.1/os-hypervisors/{node}", headers=v("2.87", ADMIN)).json
    assert gone <= set(old["hypervisor"]) and "uptime" not in old["hypervisor"]
    new = client.get(f"/v2.1/os-hypervisors/{node}", headers=v("2.88", ADMIN)).json
    assert not gone & set(new["hypervisor"])
    assert new["hypervisor"]["uptime"] is None
    assert new["hypervisor"]["service"]["host"] == "h1"
    listed = client.get("/v2.1/os-hypervisors/detail", headers=v("2.88", ADMIN)).json
    assert not gone & set(listed["hypervisors"][0])


# 2.90, 2.94 (beyond the maximum) --------------------------------------------------

def test_hostname_from_2_90(client, catalog):
    assert _boot(client, catalog, "2.89", hostname="web1").status_code == 400
    for bad in ("a", "web_1.example.org", "-web", "web 1"):
        assert _boot(client, catalog, "2.90", hostname=bad).status_code == 400, bad
    reply = _boot(client, catalog, "2.90", hostname="web1")
    assert reply.status_code == 202, reply.json
    path = f"/v2.1/servers/{reply.json['server']['id']}"
    shown = client.get(path, headers=v("2.90", ALICE)).json["server"]
    assert shown["OS-EXT-SRV-ATTR:hostname"] == "web1"
    assert "OS-EXT-SRV-ATTR:hostname" not in client.get(
        path, headers=v("2.89", ALICE)).json["server"]
    default = _boot(client, catalog, "2.90").json["server"]["id"]
    assert client.get(f"/v2.1/servers/{default}", headers=v("2.90", ALICE)).json[
        "server"]["OS-EXT-SRV-ATTR:hostname"] == "my-server"
    updated = client.put(path, headers=v("2.90", ALICE), json={"server": {"hostname": "db1"}})
    assert updated.json["server"]["OS-EXT-SRV-ATTR:hostname"] == "db1"
    assert client.put(path, headers=v("2.89", ALICE),
                      json={"server": {"hostname": "db2"}}).status_code == 400
    assert _boot(client, catalog, "2.93", hostname="web1.example.org").status_code == 400
    fqdn = _boot(client, catalog, "2.94", hostname="web1.example.org")
    assert fqdn.status_code == 202
    assert client.get(f"/v2.1/servers/{fqdn.json['server']['id']}",
                      headers=v("2.94", ALICE)).json["server"][
        "OS-EXT-SRV-ATTR:hostname"] == "web1.example.org"


# 2.92 (beyond the maximum) ------------------------------------------------------

KEY = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGKIbF5L1bc4Mq1DMdJ7qS0JOW3dfJ0x4HzKxYFkA9mG "
       "me@host")


def test_keypair_names_with_at_from_2_92(client):
    body = {"keypair": {"name": "me@work", "public_key": KEY}}
    assert client.post("/v2.1/os-keypairs", headers=v("2.91", ALICE),
                       json=body).status_code == 400
    assert client.post("/v2.1/os-keypairs", headers=v("2.92", ALICE),
                       json=body).status_code == 201
    reply = client.post("/v2.1/os-keypairs", headers=v("2.92", ALICE),
                        json={"keypair": {"name": "gen"}})
    assert reply.status_code == 400 and "public_key" in reply.json["badRequest"]["message"]


# 2.96, 2.98, 2.100 (beyond the maximum) -------------------------------------------

def test_pinned_zone_image_properties_and_hints(client, world, catalog):
    group = client.post("/v2.1/os-server-groups", headers=v("2.64", ALICE), json={
        "server_group": {"name": "g", "policy": "anti-affinity"}}).json["server_group"]
    neighbour = world.instance("cell1")
    hints = {"group": group["id"], "different_host": neighbour}
    reply = _boot(client, catalog, "2.96", availability_zone="nova", hints=hints)
    assert reply.status_code == 202, reply.json
    path = f"/v2.1/servers/{reply.json['server']['id']}"
    shown = client.get(path, headers=v("2.100", ALICE)).json["server"]
    assert shown["pinned_availability_zone"] == "nova"
    assert shown["image"]["properties"] == {"os_distro": "cirros", "hw_disk_bus": "virtio"}
    assert shown["image"]["id"] == catalog.uuid and shown["image"]["links"]
    assert shown["scheduler_hints"] == {"group": [group["id"]],
                                        "different_host": [neighbour]}
    older = client.get(path, headers=v("2.95", ALICE)).json["server"]
    assert "pinned_availability_zone" not in older and "properties" not in older["image"]
    assert "scheduler_hints" not in client.get(path, headers=v("2.99", ALICE)).json["server"]
    listed = client.get("/v2.1/servers/detail", headers=v("2.100", ALICE)).json["servers"]
    mine = next(s for s in listed if s["id"] == reply.json["server"]["id"])
    assert mine["scheduler_hints"]["group"] == [group["id"]]
    plain = client.get(f"/v2.1/servers/{neighbour}", headers=v("2.100", ALICE)).json["server"]
    assert plain["pinned_availability_zone"] is None and plain["scheduler_hints"] == {}
    assert plain["image"]["properties"] == {}
    spec = api_instances.get_build(world.api_db, reply.json["server"]["id"]).spec
    assert spec["scheduler_hints"] == hints
    assert client.get(path, headers=v("2.100", BOB)).status_code == 404
