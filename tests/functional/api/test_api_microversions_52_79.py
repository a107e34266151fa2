"""What microversions 2.52 to 2.79 change in the resources Cellar serves."""

from __future__ import annotations

import datetime
import uuid

import pytest
import redis as redis_lib
import sqlalchemy as sa

from common import liveness
from db.api import cells as db_cells
from db.api import hosts as db_hosts
from db.api import instances as api_instances
from db.base import utcnow
from db.cell import instances as cell_instances
from db.cell.models import ComputeNode, Instance, InstanceAction, Service
from db.engine import session_for
from tests.functional.api.api_world import ADMIN, ALICE, BOB


def v(version: str, headers: dict) -> dict:
    return {**headers, "OpenStack-API-Version": f"compute {version}"}


@pytest.fixture
def catalog(world):
    world.flavor()
    return world.image()


def _boot(client, image, version, headers=ALICE, **fields):
    body = {"server": {"name": "s", "flavorRef": "1", "imageRef": image.uuid,
                       "networks": "none", **fields}}
    return client.post("/v2.1/servers", json=body, headers=v(version, headers))


def _host(world, cell: str, host: str, binary: str = "cellar-compute") -> tuple[str, str]:
    """A service (and for computes a live compute node); (service uuid, node uuid)."""
    service_uuid, node_uuid = str(uuid.uuid4()), str(uuid.uuid4())
    with session_for(world.cells[cell].database_connection) as session:
        service = Service(uuid=service_uuid, host=host, binary=binary,
                          last_seen_up=utcnow())
        session.add(service)
        session.flush()
        if binary == "cellar-compute":
            session.add(ComputeNode(uuid=node_uuid, host=host, hypervisor_hostname=f"{host}.node",
                                    hypervisor_type="QEMU", vcpus=8, memory_mb=4096,
                                    local_gb=100, rpc_address="10.0.0.1:50051",
                                    service_id=service.id))
    if binary == "cellar-compute":
        client = redis_lib.Redis.from_url(world.redis_url, decode_responses=True)
        liveness.mark_up(client, world.redis_prefix, node_uuid, 60,
                         {"host": host, "cell_uuid": world.cells[cell].uuid})
        client.close()
    return service_uuid, node_uuid


# 2.52 -----------------------------------------------------------------------------

def test_tags_on_create_from_2_52(client, catalog):
    assert _boot(client, catalog, "2.51", tags=["a"]).status_code == 400
    for bad in (["x" * 61], ["a,b"], ["a/b"], [""], [f"t{n}" for n in range(51)], "a"):
        assert _boot(client, catalog, "2.52", tags=bad).status_code == 400, bad
    reply = _boot(client, catalog, "2.52", tags=["b", "a", "b"])
    assert reply.status_code == 202, reply.json
    server_id = reply.json["server"]["id"]
    build = api_instances.get_build(client.application.extensions["cellar"]["backends"]
                                    .api_url, server_id)
    assert build.instance["tags"] == ["b", "a"]
    shown = client.get(f"/v2.1/servers/{server_id}", headers=v("2.52", ALICE)).json
    assert sorted(shown["server"]["tags"]) == ["a", "b"]
    listed = client.get("/v2.1/servers/detail", headers=v("2.52", ALICE)).json["servers"]
    assert sorted(listed[0]["tags"]) == ["a", "b"]
    fifty = _boot(client, catalog, "2.52", tags=[f"t{n}" for n in range(50)])
    assert fifty.status_code == 202


def test_tag_filters_see_the_tags_of_servers_still_building(client, world, catalog):
    building = _boot(client, catalog, "2.52", tags=["web", "prod"]).json["server"]["id"]
    other = _boot(client, catalog, "2.52", tags=["db"]).json["server"]["id"]
    placed = world.instance("cell1")

    def ids(query):
        reply = client.get(f"/v2.1/servers?{query}", headers=v("2.52", ALICE))
        assert reply.status_code == 200, reply.json
        return {s["id"] for s in reply.json["servers"]}

    assert ids("tags=web,prod") == {building}
    assert ids("tags-any=db,web") == {building, other}
    assert ids("not-tags=web,prod") == {other, placed}
    assert ids("not-tags-any=db") == {building, placed}


# 2.53 -----------------------------------------------------------------------------

def test_services_by_uuid_from_2_53(client, world):
    compute, _node = _host(world, "cell1", "h1")
    conductor, _ = _host(world, "cell2", "c1", binary="cellar-conductor")
    old = client.get("/v2.1/os-services", headers=v("2.52", ADMIN)).json["services"]
    assert all(isinstance(s["id"], int) for s in old)
    new = client.get("/v2.1/os-services", headers=v("2.53", ADMIN)).json["services"]
    assert {s["id"] for s in new} == {compute, conductor}

    path = f"/v2.1/os-services/{compute}"
    reply = client.put(path, headers=v("2.53", ADMIN),
                       json={"status": "disabled", "disabled_reason": "maintenance"})
    assert reply.status_code == 200, reply.json
    service = reply.json["service"]
    assert (service["id"], service["status"], service["disabled_reason"]) == (
        compute, "disabled", "maintenance")
    assert set(service) >= {"binary", "host", "zone", "state", "updated_at", "forced_down"}
    reply = client.put(path, headers=v("2.53", ADMIN), json={"forced_down": True})
    assert reply.json["service"]["forced_down"] is True
    assert reply.json["service"]["state"] == "down"
    reply = client.put(path, headers=v("2.53", ADMIN), json={"status": "enabled"})
    assert reply.json["service"]["status"] == "enabled"
    assert reply.json["service"]["disabled_reason"] is None

    for body in ({}, {"status": "off"}, {"disabled_reason": "x"},
                 {"status": "enabled", "disabled_reason": "x"}, {"forced_down": "yes"},
                 {"host": "h1"}):
        assert client.put(path, headers=v("2.53", ADMIN), json=body).status_code == 400
    assert client.put(f"/v2.1/os-services/{conductor}", headers=v("2.53", ADMIN),
                      json={"status": "disabled"}).status_code == 400
    assert client.put("/v2.1/os-services/disable", headers=v("2.53", ADMIN), json={
        "host": "h1", "binary": "cellar-compute"}).status_code == 400
    assert client.put(f"/v2.1/os-services/{uuid.uuid4()}", headers=v("2.53", ADMIN),
                      json={"status": "enabled"}).status_code == 404
    assert client.put(path, headers=v("2.53", ALICE),
                      json={"status": "enabled"}).status_code == 403

    assert client.delete("/v2.1/os-services/1", headers=v("2.53", ADMIN)).status_code == 400
    assert client.delete(f"/v2.1/os-services/{conductor}",
                         headers=v("2.53", ADMIN)).status_code == 204
    assert client.delete(f"/v2.1/os-services/{conductor}",
                         headers=v("2.53", ADMIN)).status_code == 404


def test_hypervisors_by_uuid_from_2_53(client, world):
    service, node = _host(world, "cell1", "h1")
    _host(world, "cell2", "h2")
    world.instance("cell1", host="h1", display_name="vm1")
    listed = client.get("/v2.1/os-hypervisors/detail", headers=v("2.53", ADMIN)).json
    h1 = next(h for h in listed["hypervisors"] if h["hypervisor_hostname"] == "h1.node")
    assert h1["id"] == node and h1["service"]["id"] == service
    old = client.get("/v2.1/os-hypervisors", headers=v("2.52", ADMIN)).json["hypervisors"]
    assert all(isinstance(h["id"], int) for h in old)

    found = client.get("/v2.1/os-hypervisors?hypervisor_hostname_pattern=h1&with_servers=1",
                       headers=v("2.53", ADMIN)).json["hypervisors"]
    assert [h["id"] for h in found] == [node]
    assert [s["name"] for s in found[0]["servers"]] == ["vm1"]
    empty = client.get("/v2.1/os-hypervisors?hypervisor_hostname_pattern=h2&with_servers=1",
                       headers=v("2.53", ADMIN)).json["hypervisors"]
    assert "servers" not in empty[0]
    always = client.get("/v2.1/os-hypervisors?hypervisor_hostname_pattern=h2&with_servers=1",
                        headers=v("2.75", ADMIN)).json["hypervisors"]
    assert always[0]["servers"] == []
    assert client.get("/v2.1/os-hypervisors?hypervisor_hostname_pattern=zz",
                      headers=v("2.53", ADMIN)).status_code == 404
    assert client.get("/v2.1/os-hypervisors?hypervisor_hostname_pattern=h&limit=1",
                      headers=v("2.53", ADMIN)).status_code == 400
    assert client.get("/v2.1/os-hypervisors?bogus=1",
                      headers=v("2.53", ADMIN)).status_code == 400

    page = client.get("/v2.1/os-hypervisors?limit=1", headers=v("2.53", ADMIN)).json
    marker = page["hypervisors_links"][0]["href"].split("marker=")[1]
    assert marker == page["hypervisors"][0]["id"]
    rest = client.get(f"/v2.1/os-hypervisors?marker={marker}",
                      headers=v("2.53", ADMIN)).json["hypervisors"]
    assert len(rest) == 1 and rest[0]["id"] != marker

    shown = client.get(f"/v2.1/os-hypervisors/{node}?with_servers=true",
                       headers=v("2.53", ADMIN))
    assert shown.status_code == 200
    assert shown.json["hypervisor"]["servers"][0]["name"] == "vm1"
    assert client.get("/v2.1/os-hypervisors/1", headers=v("2.53", ADMIN)).status_code == 400
    assert client.get(f"/v2.1/os-hypervisors/{uuid.uuid4()}",
                      headers=v("2.53", ADMIN)).status_code == 404
    for gone in ("h1/servers", "h1/search"):
        assert client.get(f"/v2.1/os-hypervisors/{gone}",
                          headers=v("2.52", ADMIN)).status_code == 200
        assert client.get(f"/v2.1/os-hypervisors/{gone}",
                          headers=v("2.53", ADMIN)).status_code == 404


# 2.55, 2.61, 2.75: flavors --------------------------------------------------------

TINY = {"name": "m1.tiny", "ram": 512, "vcpus": 1, "disk": 1, "id": "1"}


def test_flavor_description_from_2_55(client):
    assert client.post("/v2.1/flavors", headers=v("2.54", ADMIN), json={
        "flavor": {**TINY, "description": "d"}}).status_code == 400
    reply = client.post("/v2.1/flavors", headers=v("2.55", ADMIN),
                        json={"flavor": {**TINY, "description": "small"}})
    assert reply.status_code == 200, reply.json
    assert reply.json["flavor"]["description"] == "small"
    listed = client.get("/v2.1/flavors", headers=v("2.55", ALICE)).json["flavors"]
    assert listed[0]["description"] == "small"
    assert "description" not in client.get("/v2.1/flavors/1",
                                           headers=v("2.54", ALICE)).json["flavor"]
    path = "/v2.1/flavors/1"
    body = {"flavor": {"description": "tiny one"}}
    assert client.put(path, headers=v("2.54", ADMIN), json=body).status_code == 404
    assert client.put(path, headers=v("2.55", ALICE), json=body).status_code == 403
    updated = client.put(path, headers=v("2.55", ADMIN), json=body)
    assert updated.status_code == 200 and updated.json["flavor"]["description"] == "tiny one"
    assert client.get(path, headers=v("2.55", ALICE)).json["flavor"]["description"] == \
        "tiny one"
    cleared = client.put(path, headers=v("2.55", ADMIN), json={"flavor": {"description": None}})
    assert cleared.json["flavor"]["description"] is None
    for bad in ({"flavor": {}}, {"flavor": {"description": "x", "ram": 1}},
                {"flavor": {"description": "bad\x01"}}):
        assert client.put(path, headers=v("2.55", ADMIN), json=bad).status_code == 400
    assert client.put("/v2.1/flavors/nope", headers=v("2.55", ADMIN),
                      json=body).status_code == 404


def test_flavor_extra_specs_crud_and_in_body_from_2_61(client):
    client.post("/v2.1/flavors", headers=ADMIN, json={"flavor": TINY})
    specs = "/v2.1/flavors/1/os-extra_specs"
    assert client.get(specs, headers=ALICE).json == {"extra_specs": {}}
    reply = client.post(specs, headers=ADMIN,
                        json={"extra_specs": {"hw:cpu_policy": "dedicated", "n": 2}})
    assert reply.status_code == 200
    assert reply.json == {"extra_specs": {"hw:cpu_policy": "dedicated", "n": "2"}}
    assert client.post(specs, headers=ALICE,
                       json={"extra_specs": {"a": "b"}}).status_code == 403
    assert client.post(specs, headers=ADMIN, json={"extra_specs": {"a/b": "c"}}).status_code \
        == 400
    assert client.post("/v2.1/flavors/nope/os-extra_specs", headers=ADMIN,
                       json={"extra_specs": {"a": "b"}}).status_code == 404
    assert client.get(f"{specs}/n", headers=ALICE).json == {"n": "2"}
    assert client.get(f"{specs}/missing", headers=ALICE).status_code == 404
    assert client.put(f"{specs}/n", headers=ADMIN, json={"n": "3"}).json == {"n": "3"}
    assert client.put(f"{specs}/n", headers=ADMIN, json={"m": "3"}).status_code == 400
    assert client.put(f"{specs}/n", headers=ADMIN,
                      json={"n": "3", "m": "4"}).status_code == 400
    assert client.put(f"{specs}/n", headers=ALICE, json={"n": "4"}).status_code == 403

    detail = client.get("/v2.1/flavors/1", headers=v("2.61", ALICE)).json["flavor"]
    assert detail["extra_specs"] == {"hw:cpu_policy": "dedicated", "n": "3"}
    assert "extra_specs" not in client.get("/v2.1/flavors/1",
                                           headers=v("2.60", ALICE)).json["flavor"]
    listed = client.get("/v2.1/flavors/detail", headers=v("2.61", ALICE)).json["flavors"]
    assert listed[0]["extra_specs"]["n"] == "3"
    assert "extra_specs" not in client.get("/v2.1/flavors",
                                           headers=v("2.61", ALICE)).json["flavors"][0]

    assert client.delete(f"{specs}/n", headers=ALICE).status_code == 403
    assert client.delete(f"{specs}/n", headers=ADMIN).status_code == 202
    assert client.delete(f"{specs}/n", headers=ADMIN).status_code == 404
    assert client.get(specs, headers=ALICE).json == {"extra_specs": {
        "hw:cpu_policy": "dedicated"}}


def test_flavor_swap_is_zero_from_2_75(client):
    client.post("/v2.1/flavors", headers=ADMIN, json={"flavor": TINY})
    assert client.get("/v2.1/flavors/1", headers=v("2.74", ALICE)).json["flavor"]["swap"] \
        == ""
    assert client.get("/v2.1/flavors/1", headers=v("2.75", ALICE)).json["flavor"]["swap"] \
        == 0


# 2.63 -----------------------------------------------------------------------------

def test_trusted_certificates_from_2_63(client, catalog):
    certs = ["0b5d2c72-12cc-4ba6-a8d7-3ff5cc1d8cb8", "674736e3-f25c-405c-8362-bbf991e0ce0a"]
    assert _boot(client, catalog, "2.62", trusted_image_certificates=certs).status_code == 400
    for bad in ([], ["a", "a"], [""], "a", [f"c{n}" for n in range(51)]):
        assert _boot(client, catalog, "2.63",
                     trusted_image_certificates=bad).status_code == 400, bad
    reply = _boot(client, catalog, "2.63", trusted_image_certificates=certs)
    assert reply.status_code == 202
    path = f"/v2.1/servers/{reply.json['server']['id']}"
    assert client.get(path, headers=v("2.63", ALICE)).json["server"][
        "trusted_image_certificates"] == certs
    assert "trusted_image_certificates" not in client.get(
        path, headers=v("2.62", ALICE)).json["server"]
    plain = _boot(client, catalog, "2.63", trusted_image_certificates=None)
    shown = client.get(f"/v2.1/servers/{plain.json['server']['id']}",
                       headers=v("2.63", ALICE)).json["server"]
    assert shown["trusted_image_certificates"] is None


# 2.66 -----------------------------------------------------------------------------

def _touch(world, cell: str, server_id: str, moment: datetime.datetime) -> None:
    with session_for(world.cells[cell].database_connection) as session:
        session.execute(sa.update(Instance).where(Instance.uuid == server_id)
                        .values(updated_at=moment))


def test_changes_before_filter_on_servers_from_2_66(client, world):
    old = world.instance("cell1")
    new = world.instance("cell2")
    _touch(world, "cell1", old, datetime.datetime(2024, 3, 1))
    _touch(world, "cell2", new, datetime.datetime(2024, 6, 1))

    def ids(query, version="2.66"):
        reply = client.get(f"/v2.1/servers?{query}", headers=v(version, ALICE))
        assert reply.status_code == 200, reply.json
        return {s["id"] for s in reply.json["servers"]}

    assert ids("changes-before=2024-04-01T00:00:00Z") == {old}
    assert ids("changes-since=2024-04-01T00:00:00Z") == {new}
    assert ids("changes-since=2024-02-01T00:00:00Z&changes-before=2024-06-01T00:00:00Z") \
        == {old, new}
    # Before 2.66 changes-before is not a filter.
    assert ids("changes-before=2024-04-01T00:00:00Z", "2.65") == {old, new}
    for query in ("changes-before=yesterday",
                  "changes-since=2024-05-01T00:00:00Z&changes-before=2024-04-01T00:00:00Z"):
        assert client.get(f"/v2.1/servers?{query}",
                          headers=v("2.66", ALICE)).status_code == 400


def test_changes_before_filter_on_instance_actions_from_2_66(client, world):
    server_id = world.instance("cell1")
    url = world.cells["cell1"].database_connection
    cell_instances.start_action(url, server_id, "create", "req-1", "alice", "project-a")
    cell_instances.start_action(url, server_id, "stop", "req-2", "alice", "project-a")
    with session_for(url) as session:
        session.execute(sa.update(InstanceAction).where(InstanceAction.request_id == "req-1")
                        .values(start_time=datetime.datetime(2024, 1, 1)))
    path = f"/v2.1/servers/{server_id}/os-instance-actions?changes-before=2024-02-01T00:00:00"
    found = client.get(path, headers=v("2.66", ALICE)).json["instanceActions"]
    assert [a["request_id"] for a in found] == ["req-1"]
    assert len(client.get(path, headers=v("2.65", ALICE)).json["instanceActions"]) == 2


# 2.71, 2.73 -----------------------------------------------------------------------

def test_server_groups_and_locked_reason_in_show(client, world, catalog):
    group = client.post("/v2.1/os-server-groups", headers=v("2.64", ALICE), json={
        "server_group": {"name": "g", "policy": "affinity"}}).json["server_group"]
    body = {"server": {"name": "s", "flavorRef": "1", "imageRef": catalog.uuid,
                       "networks": "none"}, "os:scheduler_hints": {"group": group["id"]}}
    server_id = client.post("/v2.1/servers", json=body,
                            headers=v("2.71", ALICE)).json["server"]["id"]
    path = f"/v2.1/servers/{server_id}"
    shown = client.get(path, headers=v("2.71", ALICE)).json["server"]
    assert shown["server_groups"] == [group["id"]]
    assert "locked_reason" not in shown
    assert "server_groups" not in client.get(path, headers=v("2.70", ALICE)).json["server"]
    lone = world.instance("cell1")
    later = client.get(f"/v2.1/servers/{lone}", headers=v("2.73", ALICE)).json["server"]
    assert later["server_groups"] == [] and later["locked_reason"] is None
    listed = client.get("/v2.1/servers/detail", headers=v("2.73", ALICE)).json["servers"]
    assert all("server_groups" not in s for s in listed)


# 2.74 -----------------------------------------------------------------------------

def test_requested_destination_from_2_74(client, world, catalog):
    _host(world, "cell2", "h2")
    assert _boot(client, catalog, "2.73", ADMIN, host="h2").status_code == 400
    assert _boot(client, catalog, "2.74", ALICE, host="h2").status_code == 403
    assert _boot(client, catalog, "2.74", ADMIN, host="nowhere").status_code == 400
    assert _boot(client, catalog, "2.74", ADMIN, hypervisor_hostname="h9.node").status_code \
        == 400
    assert _boot(client, catalog, "2.74", ADMIN, host="h2",
                 hypervisor_hostname="h1.node").status_code == 400
    assert _boot(client, catalog, "2.74", ADMIN, host="bad host").status_code == 400
    reply = _boot(client, catalog, "2.74", ADMIN, host="h2", hypervisor_hostname="h2.node")
    assert reply.status_code == 202, reply.json
    build = api_instances.get_build(world.api_db, reply.json["server"]["id"])
    assert build.spec["requested_destination"]["host"] == "h2"
    assert build.spec["requested_destination"]["node"]
    only_node = _boot(client, catalog, "2.74", ADMIN, hypervisor_hostname="h2.node")
    spec = api_instances.get_build(world.api_db, only_node.json["server"]["id"]).spec
    assert spec["requested_destination"]["host"] == "h2"


# 2.75 -----------------------------------------------------------------------------

def test_unknown_server_list_parameters_are_400_from_2_75(client, world):
    world.instance("cell1")
    for path in ("/v2.1/servers?bogus=1", "/v2.1/servers/detail?bogus=1"):
        assert client.get(path, headers=v("2.74", ALICE)).status_code == 200
        reply = client.get(path, headers=v("2.75", ALICE))
        assert reply.status_code == 400 and "bogus" in reply.json["badRequest"]["message"]
    assert client.get("/v2.1/servers?name=x&limit=1",
                      headers=v("2.75", ALICE)).status_code == 200
    assert client.get("/v2.1/servers?changes-before=2024-01-01T00:00:00",
                      headers=v("2.65", ALICE)).status_code == 200


# 2.78 -----------------------------------------------------------------------------

def test_topology_from_2_78(client, world):
    server_id = world.instance("cell1")
    path = f"/v2.1/servers/{server_id}/topology"
    assert client.get(path, headers=v("2.77", ALICE)).status_code == 404
    reply = client.get(path, headers=v("2.78", ALICE))
    assert reply.status_code == 200 and reply.json == {"nodes": [], "pagesize_kb": None}
    assert client.get(path, headers=v("2.78", BOB)).status_code == 404
    assert client.get(path, headers=v("2.78", ADMIN)).status_code == 200
    assert client.get(f"/v2.1/servers/{uuid.uuid4()}/topology",
                      headers=v("2.78", ALICE)).status_code == 404


# PUT /servers/{id} (2.19 description, 2.71 server_groups, 2.75 full reply) ---------

def test_server_update_renames_and_describes(client, world, catalog):
    placed = world.instance("cell1")
    path = f"/v2.1/servers/{placed}"
    reply = client.put(path, headers=v("2.75", ALICE),
                       json={"server": {"name": "renamed", "description": "about"}})
    assert reply.status_code == 200, reply.json
    server = reply.json["server"]
    assert (server["name"], server["description"]) == ("renamed", "about")
    assert server["server_groups"] == [] and "OS-EXT-STS:vm_state" in server
    shown = client.get(path, headers=v("2.19", ALICE)).json["server"]
    assert (shown["name"], shown["description"]) == ("renamed", "about")
    cleared = client.put(path, headers=v("2.19", ALICE),
                         json={"server": {"description": None}}).json["server"]
    assert cleared["description"] is None and cleared["name"] == "renamed"
    for version, body in (("2.18", {"server": {"description": "d"}}),
                          ("2.75", {"server": {"name": ""}}),
                          ("2.75", {"server": {"accessIPv4": "10.0.0.256"}}),
                          ("2.75", {"name": "x"})):
        assert client.put(path, headers=v(version, ALICE), json=body).status_code == 400
    assert client.put(path, headers=v("2.75", BOB),
                      json={"server": {"name": "x"}}).status_code == 404

    building = _boot(client, catalog, "2.52").json["server"]["id"]
    renamed = client.put(f"/v2.1/servers/{building}", headers=v("2.52", ALICE),
                         json={"server": {"name": "early"}})
    assert renamed.status_code == 200 and renamed.json["server"]["name"] == "early"
    assert client.get(f"/v2.1/servers/{building}",
                      headers=ALICE).json["server"]["name"] == "early"


# 2.69 (os-services) ---------------------------------------------------------------

def test_services_of_a_down_cell_are_minimal_from_2_69(client, world):
    _host(world, "cell1", "h1")
    dead = db_cells.create(world.api_db, "cell9", "mysql+pymysql://root@127.0.0.1:1/nowhere")
    db_hosts.ensure(world.api_db, "lost1", dead.uuid)
    db_hosts.ensure(world.api_db, "lost2", dead.uuid)
    assert client.get("/v2.1/os-services", headers=v("2.68", ADMIN)).status_code == 503
    reply = client.get("/v2.1/os-services", headers=v("2.69", ADMIN))
    assert reply.status_code == 200, reply.json
    services = reply.json["services"]
    assert [s for s in services if s["host"].startswith("lost")] == [
        {"binary": "cellar-compute", "host": "lost1", "status": "UNKNOWN"},
        {"binary": "cellar-compute", "host": "lost2", "status": "UNKNOWN"}]
    assert next(s for s in services if s["host"] == "h1")["state"] == "up"
    only = client.get("/v2.1/os-services?host=lost2", headers=v("2.69", ADMIN)).json
    assert [s["host"] for s in only["services"]] == ["lost2"]
    none = client.get("/v2.1/os-services?binary=cellar-conductor",
                      headers=v("2.69", ADMIN)).json
    assert none["services"] == []
