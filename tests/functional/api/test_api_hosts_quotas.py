"""os-services, os-hypervisors, os-availability-zone, limits and os-quota-sets."""

from __future__ import annotations

import uuid

import pytest
import redis as redis_lib

from common import liveness
from common.placement_client import PlacementClient
from db.base import utcnow
from db.cell.models import ComputeNode, Service
from db.engine import session_for
from tests.functional.api.api_world import ADMIN, ALICE, BOB


def v(version: str, headers: dict) -> dict:
    return {**headers, "OpenStack-API-Version": f"compute {version}"}


def _host(world, cell: str, host: str, up: bool = True, service_id: int | None = None,
          node_id: int | None = None) -> str:
    node_uuid = str(uuid.uuid4())
    with session_for(world.cells[cell].database_connection) as session:
        service = Service(id=service_id, uuid=str(uuid.uuid4()), host=host,
                          binary="cellar-compute", last_seen_up=utcnow())
        session.add(service)
        session.flush()
        session.add(ComputeNode(id=node_id, uuid=node_uuid, host=host, hypervisor_hostname=host,
                                hypervisor_type="QEMU", vcpus=8, memory_mb=4096,
                                local_gb=100, rpc_address="10.0.0.1:50051",
                                service_id=service.id))
    if up:
        client = redis_lib.Redis.from_url(world.redis_url, decode_responses=True)
        liveness.mark_up(client, world.redis_prefix, node_uuid, 60,
                         {"host": host, "cell_uuid": world.cells[cell].uuid})
        client.close()
    return node_uuid


@pytest.fixture
def hosts(world):
    return {"h1": _host(world, "cell1", "h1"), "h2": _host(world, "cell2", "h2", up=False)}


def test_services_list_across_cells(client, hosts):
    found = client.get("/v2.1/os-services", headers=v("2.11", ADMIN)).json["services"]
    by_host = {s["host"]: s for s in found}
    assert set(by_host) == {"h1", "h2"}
    assert by_host["h1"]["state"] == "up" and by_host["h2"]["state"] == "down"
    assert by_host["h1"]["status"] == "enabled" and by_host["h1"]["zone"] == "nova"
    assert by_host["h1"]["forced_down"] is False
    only = client.get("/v2.1/os-services?host=h2", headers=ADMIN).json["services"]
    assert [s["host"] for s in only] == ["h2"] and "forced_down" not in only[0]


def test_services_disable_enable_force_down(client, hosts):
    reply = client.put("/v2.1/os-services/disable-log-reason", headers=ADMIN, json={
        "host": "h1", "binary": "cellar-compute", "disabled_reason": "maintenance"})
    assert reply.status_code == 200 and reply.json["service"]["status"] == "disabled"
    [h1] = client.get("/v2.1/os-services?host=h1", headers=ADMIN).json["services"]
    assert h1["status"] == "disabled" and h1["disabled_reason"] == "maintenance"
    client.put("/v2.1/os-services/enable", headers=ADMIN,
               json={"host": "h1", "binary": "cellar-compute"})
    [h1] = client.get("/v2.1/os-services?host=h1", headers=ADMIN).json["services"]
    assert h1["status"] == "enabled" and h1["disabled_reason"] is None
    forced = client.put("/v2.1/os-services/force-down", headers=v("2.11", ADMIN),
                        json={"host": "h1", "binary": "cellar-compute", "forced_down": True})
    assert forced.json == {"service": {"host": "h1", "binary": "cellar-compute",
                                       "forced_down": True}}
    [h1] = client.get("/v2.1/os-services?host=h1", headers=v("2.11", ADMIN)).json["services"]
    assert h1["state"] == "down" and h1["forced_down"] is True
    assert client.put("/v2.1/os-services/force-down", headers=ADMIN, json={
        "host": "h1", "binary": "cellar-compute", "forced_down": True}).status_code == 404
    assert client.put("/v2.1/os-services/disable", headers=ADMIN,
                      json={"host": "nope", "binary": "cellar-compute"}).status_code == 404
    assert client.put("/v2.1/os-services/disable", headers=ADMIN,
                      json={"host": "h1"}).status_code == 400


def test_service_delete(client, world):
    _host(world, "cell1", "busy", service_id=900001)
    _host(world, "cell2", "idle", service_id=900002)
    # Ids are per cell: an id two cells use is refused rather than guessed.
    _host(world, "cell1", "twin1", service_id=900003)
    _host(world, "cell2", "twin2", service_id=900003)
    world.instance("cell1", host="busy")
    assert client.delete("/v2.1/os-services/900001", headers=ADMIN).status_code == 409
    assert client.delete("/v2.1/os-services/900003", headers=ADMIN).status_code == 400
    assert client.delete("/v2.1/os-services/900002", headers=ADMIN).status_code == 204
    assert client.delete("/v2.1/os-services/900002", headers=ADMIN).status_code == 404
    assert client.get("/v2.1/os-services?host=idle", headers=ADMIN).json["services"] == []


def test_hypervisors(client, world, hosts):
    placement = PlacementClient(world.placement_endpoint)
    placement.ensure_provider(hosts["h1"], "h1")
    world.instance("cell1", host="h1", display_name="vm1")
    listed = client.get("/v2.1/os-hypervisors", headers=ADMIN).json["hypervisors"]
    assert {h["hypervisor_hostname"]: h["state"] for h in listed} == {"h1": "up",
                                                                       "h2": "down"}
    detail = client.get("/v2.1/os-hypervisors/detail", headers=ADMIN).json["hypervisors"]
    h1 = next(h for h in detail if h["hypervisor_hostname"] == "h1")
    assert h1["vcpus"] == 8 and h1["memory_mb"] == 4096 and h1["running_vms"] == 1
    assert h1["service"]["host"] == "h1" and h1["hypervisor_type"] == "QEMU"
    shown = client.get(f"/v2.1/os-hypervisors/{h1['id']}", headers=ADMIN)
    assert shown.status_code == 200
    servers = client.get("/v2.1/os-hypervisors/h1/servers", headers=ADMIN).json
    assert [s["name"] for s in servers["hypervisors"][0]["servers"]] == ["vm1"]
    assert client.get("/v2.1/os-hypervisors/zzz/servers", headers=ADMIN).status_code == 404
    assert client.get("/v2.1/os-hypervisors/abc", headers=ADMIN).status_code == 400


@pytest.mark.parametrize("method,path", [
    ("get", "/v2.1/os-services"), ("get", "/v2.1/os-hypervisors"),
    ("get", "/v2.1/os-hypervisors/detail"), ("get", "/v2.1/os-availability-zone/detail"),
    ("put", "/v2.1/os-services/disable"), ("delete", "/v2.1/os-services/1"),
    ("put", "/v2.1/os-quota-sets/project-a"), ("delete", "/v2.1/os-quota-sets/project-a"),
    ("get", "/v2.1/os-quota-sets/project-b"), ("get", "/v2.1/limits?tenant_id=project-b"),
])
def test_admin_apis_refuse_tenants(client, hosts, method, path):
    kwargs = {"json": {"quota_set": {"instances": 1}}} if method == "put" else {}
    reply = getattr(client, method)(path, headers=ALICE, **kwargs)
    assert reply.status_code == 403, reply.json
    assert reply.json["forbidden"]["code"] == 403


def test_availability_zones(client, hosts):
    zones = client.get("/v2.1/os-availability-zone", headers=ALICE).json
    assert zones == {"availabilityZoneInfo": [{"zoneName": "nova",
                                               "zoneState": {"available": True},
                                               "hosts": None}]}
    detail = client.get("/v2.1/os-availability-zone/detail", headers=ADMIN).json
    [nova] = detail["availabilityZoneInfo"]
    assert nova["hosts"]["h1"]["cellar-compute"]["available"] is True
    assert nova["hosts"]["h2"]["cellar-compute"]["available"] is False


def test_quota_sets(client):
    shown = client.get("/v2.1/os-quota-sets/project-a", headers=ALICE).json["quota_set"]
    assert shown["id"] == "project-a" and shown["instances"] == 10
    assert shown["key_pairs"] == 100 and shown["floating_ips"] == 10
    updated = client.put("/v2.1/os-quota-sets/project-a", headers=ADMIN,
                         json={"quota_set": {"instances": "5", "cores": 8}})
    assert updated.status_code == 200
    assert updated.json["quota_set"]["instances"] == 5
    assert updated.json["quota_set"]["cores"] == 8
    detail = client.get("/v2.1/os-quota-sets/project-a/detail", headers=ALICE).json
    assert detail["quota_set"]["instances"] == {"limit": 5, "in_use": 0, "reserved": 0}
    defaults = client.get("/v2.1/os-quota-sets/project-a/defaults", headers=ALICE).json
    assert defaults["quota_set"]["instances"] == 10
    assert client.delete("/v2.1/os-quota-sets/project-a", headers=ADMIN).status_code == 202
    assert client.get("/v2.1/os-quota-sets/project-a",
                      headers=ALICE).json["quota_set"]["instances"] == 10
    for bad in ({"instances": -2}, {"bogus": 1}, {"instances": "x"}):
        reply = client.put("/v2.1/os-quota-sets/project-a", headers=ADMIN,
                           json={"quota_set": bad})
        assert reply.status_code == 400, reply.json


def test_quota_set_hides_network_quotas_from_2_36(client):
    shown = client.get("/v2.1/os-quota-sets/project-a",
                       headers=v("2.36", ALICE)).json["quota_set"]
    assert "floating_ips" not in shown and "injected_files" in shown


def test_limits_and_quota_enforced_on_create(client, world):
    world.flavor(vcpus=2, ram=1024)
    image = world.image()
    client.put("/v2.1/os-quota-sets/project-a", headers=ADMIN,
               json={"quota_set": {"cores": 3}})
    body = {"server": {"name": "s", "flavorRef": "1", "imageRef": image.uuid}}
    assert client.post("/v2.1/servers", json=body, headers=ALICE).status_code == 202
    refused = client.post("/v2.1/servers", json=body, headers=ALICE)
    assert refused.status_code == 403
    assert "Quota exceeded for cores" in refused.json["forbidden"]["message"]
    absolute = client.get("/v2.1/limits", headers=ALICE).json["limits"]["absolute"]
    assert absolute["maxTotalCores"] == 3 and absolute["totalCoresUsed"] == 2
    assert absolute["totalInstancesUsed"] == 1 and absolute["totalRAMUsed"] == 1024
    assert absolute["maxTotalInstances"] == 10
    # Bob's project is counted on its own.
    assert client.post("/v2.1/servers", json=body, headers=BOB).status_code == 202
    # Lowering a limit below usage needs force.
    assert client.put("/v2.1/os-quota-sets/project-a", headers=ADMIN,
                      json={"quota_set": {"instances": 0}}).status_code == 400
    assert client.put("/v2.1/os-quota-sets/project-a", headers=ADMIN,
                      json={"quota_set": {"instances": 0, "force": True}}).status_code == 200


def test_hypervisor_paging_and_cpu_info(client, world):
    for n, cell in enumerate(("cell1", "cell2", "cell1")):
        _host(world, cell, f"p{n}", node_id=700001 + n)
    old = client.get("/v2.1/os-hypervisors/detail?limit=1", headers=ADMIN).json
    assert len(old["hypervisors"]) == 3 and old["hypervisors"][0]["cpu_info"] == "{}"
    page = client.get("/v2.1/os-hypervisors/detail?limit=2", headers=v("2.33", ADMIN)).json
    assert len(page["hypervisors"]) == 2 and page["hypervisors"][0]["cpu_info"] == {}
    marker = page["hypervisors_links"][0]["href"].split("marker=")[1]
    rest = client.get(f"/v2.1/os-hypervisors?limit=2&marker={marker}",
                      headers=v("2.33", ADMIN)).json
    assert [h["id"] for h in rest["hypervisors"]] == [700003]
    assert "hypervisors_links" not in rest
    assert client.get("/v2.1/os-hypervisors?marker=999999999",
                      headers=v("2.33", ADMIN)).status_code == 400
