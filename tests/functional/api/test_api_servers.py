"""/v2.1/servers over real API and cell DBs and Redis."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest
import redis as redis_lib

from api_cell.api.app import create_app
from common import tasks
from db import errors as db_errors
from db.api import cells as db_cells
from db.api import instances as api_instances
from db.cell import instances as cell_instances
from tests.functional.api.api_world import ADMIN, ALICE, BOB, make_conf


@pytest.fixture
def catalog(world):
    """A flavor (id 1) and an image to boot from."""
    world.flavor(swap=1536, ephemeral_gb=2, extra_specs={"hw:cpu_policy": "shared"})
    return world.image(min_ram=256, min_disk=1)


def _entries(world, key):
    client = redis_lib.Redis.from_url(world.redis_url, decode_responses=True)
    try:
        return [fields for _id, fields in client.xrange(key)]
    finally:
        client.close()


def _boot(client, image, headers=ALICE, **fields):
    body = {"server": {"name": "web-1", "flavorRef": "1", "imageRef": image.uuid, **fields}}
    return client.post("/v2.1/servers", json=body, headers=headers)


def test_create_records_the_build_and_queues_it(client, world, catalog):
    reply = _boot(client, catalog, metadata={"role": "web"})
    assert reply.status_code == 202, reply.json
    server = reply.json["server"]
    assert set(server) == {"id", "links", "adminPass", "OS-DCF:diskConfig", "security_groups"}
    assert reply.headers["Location"].endswith(f"/v2.1/servers/{server['id']}")

    build = api_instances.get_build(world.api_db, server["id"])
    assert build.project_id == "project-a" and build.user_id == "alice"
    assert build.instance["name"] == "web-1"
    assert build.instance["image_ref"] == catalog.uuid
    assert build.instance["metadata"] == {"role": "web"}
    assert build.instance["flavor"] == {"id": "1", "name": "m1.tiny", "vcpus": 1, "ram": 512,
                                        "disk": 1, "ephemeral": 2, "swap": 1536,
                                        "extra_specs": {"hw:cpu_policy": "shared"}}
    # 1 root + 2 ephemeral + 1536 MB of swap rounded up to 2 GB.
    assert build.spec["resources"] == {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 5}
    assert build.spec["project_id"] == "project-a" and build.spec["user_id"] == "alice"
    assert build.spec["image"]["id"] == catalog.uuid

    [task] = _entries(world, tasks.build_stream_key(world.redis_prefix))
    assert task["kind"] == "build"
    assert json.loads(task["payload"]) == {"instance_uuid": server["id"]}
    assert task["request_id"] == reply.headers["x-openstack-request-id"]


def test_flavor_and_image_may_be_links(client, world, catalog):
    reply = _boot(client, catalog, flavorRef="http://x/v2.1/flavors/1",
                  imageRef=f"http://x/images/{catalog.uuid}")
    assert reply.status_code == 202, reply.json


def test_building_server_shows_as_build(client, catalog):
    server_id = _boot(client, catalog).json["server"]["id"]
    server = client.get(f"/v2.1/servers/{server_id}", headers=ALICE).json["server"]
    assert server["status"] == "BUILD"
    assert server["OS-EXT-STS:vm_state"] == "building"
    assert server["flavor"]["id"] == "1" and server["image"]["id"] == catalog.uuid
    assert server["tenant_id"] == "project-a" and "OS-EXT-SRV-ATTR:host" not in server


@pytest.mark.parametrize("server,message", [
    ({"flavorRef": "42"}, "Flavor 42 could not be found."),
    ({"imageRef": str(uuid.UUID(int=7))}, f"Image {uuid.UUID(int=7)} could not be found."),
    ({"imageRef": "not-a-uuid"}, "Invalid imageRef provided."),
])
def test_unknown_references_are_400(client, catalog, server, message):
    reply = _boot(client, catalog, **server)
    assert reply.status_code == 400
    assert reply.json["badRequest"]["message"] == message


def test_flavor_too_small_for_image_is_400(client, world):
    world.flavor()
    image = world.image(min_ram=4096)
    reply = _boot(client, image)
    assert reply.status_code == 400
    assert "memory is too small" in reply.json["badRequest"]["message"]


@pytest.mark.parametrize("body", [
    {}, {"server": None}, {"server": {}}, [1], "text",
    {"server": {"name": "x", "flavorRef": "1"}},
    {"server": {"name": "", "flavorRef": "1", "imageRef": "i"}},
    {"server": {"name": "   ", "flavorRef": "1", "imageRef": "i"}},
    {"server": {"name": "x" * 256, "flavorRef": "1", "imageRef": "i"}},
    {"server": {"name": 5, "flavorRef": "1", "imageRef": "i"}},
    {"server": {"name": "x", "flavorRef": "", "imageRef": "i"}},
    {"server": {"name": "x", "flavorRef": "1", "imageRef": "i", "metadata": {"k": 1}}},
    {"server": {"name": "x", "flavorRef": "1", "imageRef": "i", "metadata": "k"}},
    {"server": {"name": "x", "flavorRef": "1", "imageRef": "i", "key_name": "k"}},
    {"server": {"name": "x", "flavorRef": "1", "imageRef": "i", "max_count": 0}},
    {"server": {"name": "x", "flavorRef": "1", "imageRef": "i", "max_count": 2}},
    {"server": {"name": "x", "flavorRef": "1", "imageRef": "i", "min_count": 2,
                "max_count": 1}},
    {"server": {"name": "x", "flavorRef": "1", "imageRef": "i",
                "OS-DCF:diskConfig": "BIG"}},
], ids=range(18))
def test_bad_bodies_are_400_and_record_nothing(client, world, catalog, body):
    reply = client.post("/v2.1/servers", json=body, headers=ALICE)
    assert reply.status_code == 400, reply.json
    assert reply.json["badRequest"]["code"] == 400
    assert api_instances.page(world.api_db, 10) == []
    assert _entries(world, tasks.build_stream_key(world.redis_prefix)) == []


@pytest.mark.parametrize("raw", ["{", "", "null", "\xff"])
def test_malformed_json_is_400(client, catalog, raw):
    reply = client.post("/v2.1/servers", data=raw, headers=ALICE,
                        content_type="application/json")
    assert reply.status_code == 400
    assert "badRequest" in reply.json


def test_show_placed_server_and_admin_sees_host(client, world):
    server_id = world.instance("cell1", host="compute-7", availability_zone="az1")
    server = client.get(f"/v2.1/servers/{server_id}", headers=ALICE).json["server"]
    assert server["status"] == "ACTIVE" and server["OS-EXT-AZ:availability_zone"] == "az1"
    assert server["hostId"] and "OS-EXT-SRV-ATTR:host" not in server
    assert "fault" not in server
    as_admin = client.get(f"/v2.1/servers/{server_id}", headers=ADMIN).json["server"]
    assert as_admin["OS-EXT-SRV-ATTR:host"] == "compute-7"


def test_error_server_shows_its_latest_fault(client, world):
    server_id = world.instance("cell0", vm_state="error", host=None)
    cell_instances.add_fault(world.cells["cell0"].database_connection, server_id, 500, "old")
    cell_instances.add_fault(world.cells["cell0"].database_connection, server_id, 500,
                             "No valid host was found.")
    server = client.get(f"/v2.1/servers/{server_id}", headers=ALICE).json["server"]
    assert server["status"] == "ERROR"
    assert server["fault"]["message"] == "No valid host was found."
    assert server["fault"]["code"] == 500


def test_a_project_never_sees_another_projects_servers(client, world, catalog):
    theirs = world.instance("cell1", project_id="project-b", user_id="bob")
    building = _boot(client, catalog, headers=BOB).json["server"]["id"]
    mine = world.instance("cell2")
    for server_id in (theirs, building):
        for method in ("GET", "DELETE"):
            reply = client.open(f"/v2.1/servers/{server_id}", method=method, headers=ALICE)
            assert reply.status_code == 404, (method, reply.json)
            assert "itemNotFound" in reply.json
        reply = client.post(f"/v2.1/servers/{server_id}/action", json={"os-stop": None},
                            headers=ALICE)
        assert reply.status_code == 404
    for path in ("/v2.1/servers", "/v2.1/servers/detail"):
        listed = [s["id"] for s in client.get(path, headers=ALICE).json["servers"]]
        assert listed == [mine]
    # Nor may a tenant page from another project's server.
    reply = client.get(f"/v2.1/servers?marker={theirs}", headers=ALICE)
    assert reply.status_code == 400
    reply = client.get("/v2.1/servers?all_tenants=1", headers=ALICE)
    assert reply.status_code == 403 and "forbidden" in reply.json
    everything = client.get("/v2.1/servers?all_tenants=1", headers=ADMIN).json["servers"]
    assert {s["id"] for s in everything} == {theirs, building, mine}


def test_list_merges_cells_newest_first_with_paging(client, world, catalog):
    base = datetime.datetime(2024, 1, 1)
    created = {}
    for minute, cell in enumerate(["cell1", "cell2", "cell1", "cell2", "cell1"]):
        server_id = world.instance(cell, created_at=base + datetime.timedelta(minutes=minute))
        created[server_id] = minute
    building = _boot(client, catalog).json["server"]["id"]  # created now: the newest
    expected = [building] + sorted(created, key=created.get, reverse=True)

    seen, url, pages = [], "/v2.1/servers/detail?limit=2", 0
    while url:
        reply = client.get(url, headers=ALICE)
        assert reply.status_code == 200, reply.json
        seen += [s["id"] for s in reply.json["servers"]]
        links = reply.json.get("servers_links")
        url = links[0]["href"].split("localhost", 1)[1] if links else None
        if url:
            assert "limit=2" in url and "servers/detail" in url
        pages += 1
    assert seen == expected
    assert pages == 4  # three full pages, then an empty one ends the walk
    statuses = [s["status"] for s in
                client.get("/v2.1/servers/detail", headers=ALICE).json["servers"]]
    assert statuses == ["BUILD"] + ["ACTIVE"] * 5


def test_list_limit_is_capped_by_max_limit(world):
    for _ in range(3):
        world.instance("cell1")
    app = create_app(make_conf(world.api_db, world.redis_url, world.redis_prefix,
                               max_limit=2))
    try:
        reply = app.test_client().get("/v2.1/servers?limit=50", headers=ALICE)
        assert len(reply.json["servers"]) == 2
        assert "servers_links" in reply.json
    finally:
        app.extensions["cellar"]["backends"].pool.shutdown(wait=True)


@pytest.mark.parametrize("query", ["limit=abc", "limit=-3", "marker=nope",
                                   "all_tenants=perhaps"])
def test_bad_list_queries_are_400(client, query):
    reply = client.get(f"/v2.1/servers?{query}", headers=ADMIN)
    assert reply.status_code == 400, reply.json
    assert "badRequest" in reply.json


def test_a_dead_cell_is_reported_not_hidden(client, world):
    alive = world.instance("cell1", created_at=datetime.datetime(2024, 1, 2))
    dead_cell = db_cells.create(world.api_db, "cell9",
                                "mysql+pymysql://root@127.0.0.1:1/nowhere")
    lost = world.instance("cell1", created_at=datetime.datetime(2024, 1, 1))
    api_instances.forget(world.api_db, lost)
    api_instances.create_build(world.api_db, lost, "project-a", "alice",
                               {"name": "x", "flavor": {}}, {})
    api_instances.place(world.api_db, lost, dead_cell.id)

    reply = client.get("/v2.1/servers/detail", headers=ALICE)
    assert reply.status_code == 200
    assert reply.headers["X-Cellar-Unavailable-Cells"] == "cell9"
    # Before 2.69 a server of a down cell is left out of lists, as Nova does; the
    # header says which cell is missing (2.69 and later: test_api_down_cells.py).
    servers = reply.json["servers"]
    assert [s["id"] for s in servers] == [alive]
    assert servers[0]["status"] == "ACTIVE"

    reply = client.get(f"/v2.1/servers/{lost}", headers=ALICE)
    assert reply.status_code == 503 and "serviceUnavailable" in reply.json
    reply = client.post(f"/v2.1/servers/{lost}/action", json={"os-stop": None},
                        headers=ALICE)
    assert reply.status_code == 503


def test_delete_while_building_leaves_nothing(client, world, catalog):
    server_id = _boot(client, catalog).json["server"]["id"]
    assert client.delete(f"/v2.1/servers/{server_id}", headers=ALICE).status_code == 204
    assert api_instances.get_build(world.api_db, server_id) is None
    with pytest.raises(db_errors.NotFound):
        api_instances.get_mapping(world.api_db, server_id)
    assert api_instances.page(world.api_db, 10) == []
    assert client.get(f"/v2.1/servers/{server_id}", headers=ALICE).status_code == 404


def test_delete_placed_server_hands_it_to_its_cell(client, world):
    server_id = world.instance("cell2", task_state="powering-off")
    reply = client.delete(f"/v2.1/servers/{server_id}", headers=ALICE)
    assert reply.status_code == 204
    cell_url = world.cells["cell2"].database_connection
    assert cell_instances.get(cell_url, server_id).task_state == "deleting"
    assert api_instances.get_mapping(world.api_db, server_id).queued_for_delete
    [task] = _entries(world, tasks.cell_stream_key(world.redis_prefix,
                                                   world.cells["cell2"].uuid))
    assert task["kind"] == "delete"
    assert json.loads(task["payload"]) == {"instance_uuid": server_id}
    assert task["request_id"] == reply.headers["x-openstack-request-id"]
    # Deleting again is fine; the server is gone from the list at once.
    assert client.delete(f"/v2.1/servers/{server_id}", headers=ALICE).status_code == 204
    assert client.get("/v2.1/servers", headers=ALICE).json["servers"] == []


def test_delete_server_that_never_left_cell0(client, world):
    server_id = world.instance("cell0", vm_state="error", host=None)
    assert client.delete(f"/v2.1/servers/{server_id}", headers=ALICE).status_code == 204
    with pytest.raises(db_errors.NotFound):
        cell_instances.get(world.cells["cell0"].database_connection, server_id)
    assert client.get(f"/v2.1/servers/{server_id}", headers=ALICE).status_code == 404
