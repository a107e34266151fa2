"""os-aggregates, their mirror in placement, availability zones and booting into one."""

from __future__ import annotations

import uuid

import pytest
import redis as redis_lib

from common import liveness
from common.placement_client import PlacementClient
from db.api import hosts as db_hosts
from db.api import instances as api_instances
from db.base import utcnow
from db.cell.models import ComputeNode, Service
from db.engine import session_for
from tests.functional.api.api_world import ADMIN, ALICE

INVENTORY = {"VCPU": {"total": 8}, "MEMORY_MB": {"total": 4096}, "DISK_GB": {"total": 100}}
AGGREGATES = "/v2.1/os-aggregates"


def v(version: str, headers: dict) -> dict:
    return {**headers, "OpenStack-API-Version": f"compute {version}"}


def _host(world, cell: str, host: str, provider: bool = True,
          disabled: bool = False) -> str:
    """A registered compute host: mapping, service, node, live, and its provider."""
    node_uuid = str(uuid.uuid4())
    with session_for(world.cells[cell].database_connection) as session:
        service = Service(uuid=str(uuid.uuid4()), host=host, binary="cellar-compute",
                          last_seen_up=utcnow(), disabled=disabled)
        session.add(service)
        session.flush()
        session.add(ComputeNode(uuid=node_uuid, host=host, hypervisor_hostname=host,
                                hypervisor_type="QEMU", vcpus=8, memory_mb=4096,
                                local_gb=100, rpc_address="10.0.0.1:50051",
                                service_id=service.id))
    db_hosts.ensure(world.api_db, host, world.cells[cell].uuid)
    client = redis_lib.Redis.from_url(world.redis_url, decode_responses=True)
    liveness.mark_up(client, world.redis_prefix, node_uuid, 60,
                     {"host": host, "cell_uuid": world.cells[cell].uuid})
    client.close()
    if provider:
        placement = PlacementClient(world.placement_endpoint)
        placement.ensure_provider(node_uuid, host)
        placement.set_inventories(node_uuid, INVENTORY)
    return node_uuid


@pytest.fixture
def hosts(world) -> dict[str, str]:
    return {"h1": _host(world, "cell1", "h1"), "h2": _host(world, "cell2", "h2")}


@pytest.fixture
def placement(world) -> PlacementClient:
    return PlacementClient(world.placement_endpoint)


def _create(client, name: str, zone: str | None = None, version: str = "2.1") -> dict:
    body = {"name": name} if zone is None else {"name": name, "availability_zone": zone}
    reply = client.post(AGGREGATES, json={"aggregate": body}, headers=v(version, ADMIN))
    assert reply.status_code == 200, reply.json
    return reply.json["aggregate"]


def _act(client, aggregate_id: int, action: str, body: dict, headers=ADMIN):
    return client.post(f"{AGGREGATES}/{aggregate_id}/action", json={action: body},
                       headers=headers)


def test_create_show_list_update_delete(client, world):
    created = _create(client, "rack1", "az1")
    assert created["name"] == "rack1" and created["availability_zone"] == "az1"
    assert created["deleted"] is False and created["deleted_at"] is None
    assert "hosts" not in created and "metadata" not in created and "uuid" not in created
    shown = client.get(f"{AGGREGATES}/{created['id']}", headers=ADMIN).json["aggregate"]
    assert shown["hosts"] == [] and shown["metadata"] == {"availability_zone": "az1"}
    listed = client.get(AGGREGATES, headers=v("2.41", ADMIN)).json["aggregates"]
    assert [(a["name"], len(a["uuid"])) for a in listed] == [("rack1", 36)]

    updated = client.put(f"{AGGREGATES}/{created['id']}", headers=ADMIN,
                         json={"aggregate": {"name": "rack-one", "availability_zone": "az2"}})
    assert updated.status_code == 200, updated.json
    assert updated.json["aggregate"]["name"] == "rack-one"
    assert updated.json["aggregate"]["metadata"] == {"availability_zone": "az2"}
    assert updated.json["aggregate"]["updated_at"] is not None
    unzoned = client.put(f"{AGGREGATES}/{created['id']}", headers=ADMIN,
                         json={"aggregate": {"availability_zone": None}})
    assert unzoned.json["aggregate"]["metadata"] == {}
    assert unzoned.json["aggregate"]["name"] == "rack-one"

    assert client.delete(f"{AGGREGATES}/{created['id']}", headers=ADMIN).status_code == 200
    assert client.get(f"{AGGREGATES}/{created['id']}", headers=ADMIN).status_code == 404
    # A deleted aggregate's name is free again.
    assert _create(client, "rack-one")["availability_zone"] is None


def test_bad_requests(client, world):
    first = _create(client, "rack1")
    duplicate = client.post(AGGREGATES, json={"aggregate": {"name": "rack1"}}, headers=ADMIN)
    assert duplicate.status_code == 409 and "conflictingRequest" in duplicate.json
    second = _create(client, "rack2")
    renamed = client.put(f"{AGGREGATES}/{second['id']}", headers=ADMIN,
                         json={"aggregate": {"name": "rack1"}})
    assert renamed.status_code == 409
    for body in ({"aggregate": {}}, {"aggregate": {"name": ""}}, {"name": "x"},
                 {"aggregate": {"name": "x", "availability_zone": "a:b"}},
                 {"aggregate": {"name": "x", "availability_zone": "internal"}},
                 {"aggregate": {"name": "x", "extra": 1}}):
        reply = client.post(AGGREGATES, json=body, headers=ADMIN)
        assert reply.status_code == 400 and reply.json["badRequest"]["code"] == 400, body
    assert client.put(f"{AGGREGATES}/{first['id']}", json={"aggregate": {}},
                      headers=ADMIN).status_code == 400
    assert client.get(f"{AGGREGATES}/abc", headers=ADMIN).status_code == 400
    assert client.get(f"{AGGREGATES}/999999", headers=ADMIN).status_code == 404
    assert client.delete(f"{AGGREGATES}/999999", headers=ADMIN).status_code == 404
    assert _act(client, first["id"], "nope", {}).status_code == 400
    assert _act(client, first["id"], "add_host", {"hostname": "h1"}).status_code == 400
    assert _act(client, first["id"], "set_metadata",
                {"metadata": {"k": 1}}).status_code == 400
    images = client.post(f"{AGGREGATES}/{first['id']}/images", headers=v("2.81", ADMIN),
                         json={"cache": [{"id": str(uuid.uuid4())}]})
    assert images.status_code == 400
    assert client.post(f"{AGGREGATES}/{first['id']}/images", headers=ADMIN,
                       json={"cache": []}).status_code == 404


@pytest.mark.parametrize("method,path,body", [
    ("get", AGGREGATES, None), ("post", AGGREGATES, {"aggregate": {"name": "x"}}),
    ("get", f"{AGGREGATES}/1", None), ("put", f"{AGGREGATES}/1", {"aggregate": {"name": "y"}}),
    ("delete", f"{AGGREGATES}/1", None),
    ("post", f"{AGGREGATES}/1/action", {"add_host": {"host": "h1"}}),
    ("post", f"{AGGREGATES}/1/action", {"remove_host": {"host": "h1"}}),
    ("post", f"{AGGREGATES}/1/action", {"set_metadata": {"metadata": {"a": "b"}}}),
])
def test_members_are_forbidden(client, world, method, path, body):
    kwargs = {"json": body} if body is not None else {}
    reply = getattr(client, method)(path, headers=ALICE, **kwargs)
    assert reply.status_code == 403 and reply.json["forbidden"]["code"] == 403


def test_hosts_are_mirrored_into_placement(client, world, hosts, placement):
    rack = _create(client, "rack1", "az1", version="2.41")
    added = _act(client, rack["id"], "add_host", {"host": "h1"})
    assert added.status_code == 200, added.json
    assert added.json["aggregate"]["hosts"] == ["h1"]
    assert placement.provider_aggregates(hosts["h1"])[0] == [rack["uuid"]]
    assert placement.provider_aggregates(hosts["h2"])[0] == []

    assert _act(client, rack["id"], "add_host", {"host": "h1"}).status_code == 409
    assert _act(client, rack["id"], "add_host", {"host": "nope"}).status_code == 404
    assert client.delete(f"{AGGREGATES}/{rack['id']}", headers=ADMIN).status_code == 400

    removed = _act(client, rack["id"], "remove_host", {"host": "h1"})
    assert removed.status_code == 200 and removed.json["aggregate"]["hosts"] == []
    assert placement.provider_aggregates(hosts["h1"])[0] == []
    assert _act(client, rack["id"], "remove_host", {"host": "h1"}).status_code == 404
    assert _act(client, rack["id"], "remove_host", {"host": "nope"}).status_code == 404
    assert client.delete(f"{AGGREGATES}/{rack['id']}", headers=ADMIN).status_code == 200


def test_a_host_unmapped_meanwhile_can_still_be_removed(client, world, hosts, placement):
    rack = _create(client, "rack1")
    assert _act(client, rack["id"], "add_host", {"host": "h1"}).status_code == 200
    db_hosts.delete(world.api_db, "h1")
    assert _act(client, rack["id"], "add_host", {"host": "h1"}).status_code == 404
    removed = _act(client, rack["id"], "remove_host", {"host": "h1"})
    assert removed.status_code == 200 and removed.json["aggregate"]["hosts"] == []
    assert client.delete(f"{AGGREGATES}/{rack['id']}", headers=ADMIN).status_code == 200


class _RacingPlacement(PlacementClient):
    """A real client whose first aggregates read is followed by another writer's
    change, so its first write carries a stale generation and placement answers 409."""

    def __init__(self, endpoint: str, other_aggregate: str) -> None:
        super().__init__(endpoint)
        self.other_aggregate = other_aggregate
        self.reads = 0

    def provider_aggregates(self, uuid: str) -> tuple[list[str], int]:
        found = super().provider_aggregates(uuid)
        self.reads += 1
        if self.reads == 1:
            PlacementClient(self.endpoint).change_provider_aggregates(
                uuid, add=(self.other_aggregate,))
        return found


def test_generation_conflict_is_retried(client, app, world, hosts, placement):
    other = str(uuid.uuid4())
    racing = _RacingPlacement(world.placement_endpoint, other)
    app.extensions["cellar"]["backends"].placement = racing
    rack = _create(client, "rack1", version="2.41")
    assert _act(client, rack["id"], "add_host", {"host": "h1"}).status_code == 200
    assert racing.reads == 2
    assert sorted(placement.provider_aggregates(hosts["h1"])[0]) == sorted([other,
                                                                            rack["uuid"]])


def test_placement_failure_leaves_the_aggregate_unchanged(client, app, world, hosts):
    _host(world, "cell1", "no-provider", provider=False)
    rack = _create(client, "rack1")
    failed = _act(client, rack["id"], "add_host", {"host": "no-provider"})
    assert failed.status_code == 503 and "Placement" in failed.json["serviceUnavailable"][
        "message"]
    assert client.get(f"{AGGREGATES}/{rack['id']}", headers=ADMIN).json[
        "aggregate"]["hosts"] == []

    assert _act(client, rack["id"], "add_host", {"host": "h1"}).status_code == 200
    app.extensions["cellar"]["backends"].placement = PlacementClient("http://127.0.0.1:9",
                                                                     timeout=2)
    assert _act(client, rack["id"], "remove_host", {"host": "h1"}).status_code == 503
    assert client.get(f"{AGGREGATES}/{rack['id']}", headers=ADMIN).json[
        "aggregate"]["hosts"] == ["h1"]


def test_a_host_is_in_one_zone(client, world, hosts):
    az1 = _create(client, "rack1", "az1")
    az2 = _create(client, "rack2", "az2")
    plain = _create(client, "ssd")
    assert _act(client, az1["id"], "add_host", {"host": "h1"}).status_code == 200
    conflict = _act(client, az2["id"], "add_host", {"host": "h1"})
    assert conflict.status_code == 409 and "az1" in conflict.json["conflictingRequest"][
        "message"]
    assert _act(client, plain["id"], "add_host", {"host": "h1"}).status_code == 200
    moved = _act(client, plain["id"], "set_metadata",
                 {"metadata": {"availability_zone": "az2"}})
    assert moved.status_code == 400
    assert client.put(f"{AGGREGATES}/{plain['id']}", headers=ADMIN, json={
        "aggregate": {"availability_zone": "az2"}}).status_code == 400
    same = _act(client, plain["id"], "set_metadata",
                {"metadata": {"availability_zone": "az1", "ssd": "true"}})
    assert same.status_code == 200
    assert same.json["aggregate"]["metadata"] == {"availability_zone": "az1", "ssd": "true"}
    cleared = _act(client, plain["id"], "set_metadata",
                   {"metadata": {"availability_zone": None, "absent": None}})
    assert cleared.json["aggregate"]["metadata"] == {"ssd": "true"}
    assert cleared.json["aggregate"]["availability_zone"] is None


def test_availability_zone_lists(client, world, hosts):
    _host(world, "cell1", "h3", disabled=True)
    for name, zone, host in (("rack1", "az1", "h1"), ("rack3", "az3", "h3")):
        created = _create(client, name, zone)
        assert _act(client, created["id"], "add_host", {"host": host}).status_code == 200
    _create(client, "empty", "az-empty")
    zones = client.get("/v2.1/os-availability-zone", headers=ALICE).json
    assert zones["availabilityZoneInfo"] == [
        {"zoneName": "az1", "zoneState": {"available": True}, "hosts": None},
        {"zoneName": "nova", "zoneState": {"available": True}, "hosts": None},
        {"zoneName": "az3", "zoneState": {"available": False}, "hosts": None}]
    detail = client.get("/v2.1/os-availability-zone/detail", headers=ADMIN).json
    by_zone = {z["zoneName"]: z["hosts"] for z in detail["availabilityZoneInfo"]}
    assert set(by_zone["az1"]) == {"h1"} and set(by_zone["nova"]) == {"h2"}
    assert by_zone["az3"]["h3"]["cellar-compute"] == {
        "available": False, "active": False,
        "updated_at": by_zone["az3"]["h3"]["cellar-compute"]["updated_at"]}
    services = client.get("/v2.1/os-services", headers=ADMIN).json["services"]
    assert {s["host"]: s["zone"] for s in services} == {"h1": "az1", "h2": "nova",
                                                         "h3": "az3"}


@pytest.fixture
def catalog(world):
    world.flavor()
    return world.image()


def _boot(client, image, headers=ALICE, version="2.1", **fields):
    body = {"server": {"name": "vm", "flavorRef": "1", "imageRef": image.uuid, **fields}}
    return client.post("/v2.1/servers", json=body, headers=v(version, headers))


def _spec(world, reply) -> dict:
    assert reply.status_code == 202, reply.json
    return api_instances.get_build(world.api_db, reply.json["server"]["id"]).spec


def test_boot_into_a_zone(client, world, hosts, catalog):
    rack = _create(client, "rack1", "az1")
    _act(client, rack["id"], "add_host", {"host": "h1"})
    unknown = _boot(client, catalog, availability_zone="az-nowhere")
    assert unknown.status_code == 400
    assert unknown.json["badRequest"]["message"] == ("The requested availability zone is "
                                                     "not available")
    assert _spec(world, _boot(client, catalog, availability_zone="az1"))[
        "availability_zone"] == "az1"
    assert _spec(world, _boot(client, catalog, availability_zone="nova"))[
        "availability_zone"] == "nova"
    assert _boot(client, catalog, availability_zone="a:b:c:d").status_code == 400


def test_boot_onto_a_forced_host(client, world, hosts, catalog):
    rack = _create(client, "rack1", "az1")
    _act(client, rack["id"], "add_host", {"host": "h1"})
    assert _boot(client, catalog, availability_zone="az1:h1").status_code == 403
    spec = _spec(world, _boot(client, catalog, ADMIN, availability_zone="az1:h1"))
    assert spec["availability_zone"] == "az1"
    assert spec["requested_destination"] == {"host": "h1"}
    spec = _spec(world, _boot(client, catalog, ADMIN, availability_zone="az1:h1:h1"))
    assert spec["requested_destination"] == {"host": "h1", "node": hosts["h1"]}
    assert _boot(client, catalog, ADMIN, availability_zone="az1:ghost").status_code == 400
    both = _boot(client, catalog, ADMIN, "2.74", availability_zone="az1:h1", host="h1")
    assert both.status_code == 400
