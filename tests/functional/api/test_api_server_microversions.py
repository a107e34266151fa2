"""Server create, show and list across the microversions Cellar advertises (to 2.51)."""

from __future__ import annotations

import uuid

import pytest
import redis as redis_lib

from common import liveness
from db.api import hosts as db_hosts
from db.base import utcnow
from db.cell import tags as cell_tags
from db.cell.models import ComputeNode, Service
from db.engine import session_for
from tests.functional.api.api_world import ADMIN, ALICE, BOB


def v(version: str, headers: dict) -> dict:
    return {**headers, "OpenStack-API-Version": f"compute {version}"}


@pytest.fixture
def catalog(world):
    world.flavor(extra_specs={"hw:cpu_policy": "shared"})
    return world.image()


def _boot(client, image, version="2.51", headers=ALICE, **fields):
    body = {"server": {"name": "s", "flavorRef": "1", "imageRef": image.uuid,
                       "networks": "none", **fields}}
    return client.post("/v2.1/servers", json=body, headers=v(version, headers))


def test_networks_required_from_2_37(client, catalog):
    body = {"server": {"name": "s", "flavorRef": "1", "imageRef": catalog.uuid}}
    assert client.post("/v2.1/servers", json=body,
                       headers=v("2.36", ALICE)).status_code == 202
    missing = client.post("/v2.1/servers", json=body, headers=v("2.37", ALICE))
    assert missing.status_code == 400 and "networks" in missing.json["badRequest"]["message"]
    provider = client.application.extensions["cellar"]["backends"].network.uuid
    for networks in ("auto", "none", [{"uuid": provider}]):
        assert _boot(client, catalog, "2.37", networks=networks).status_code == 202
    assert _boot(client, catalog, "2.37", networks=[{"uuid": "nope"}]).status_code == 400
    # A well-formed uuid of a network Cellar does not have is 400 too, as in Nova.
    unknown = _boot(client, catalog, "2.37", networks=[{"uuid": str(uuid.uuid4())}])
    assert unknown.status_code == 400
    assert "could not be found" in unknown.json["badRequest"]["message"]
    tagged = [{"uuid": provider, "tag": "nic1"}]
    assert _boot(client, catalog, "2.37", networks=tagged).status_code == 400
    assert _boot(client, catalog, "2.42", networks=tagged).status_code == 202


def test_description_from_2_19(client, catalog):
    assert _boot(client, catalog, "2.18", description="d").status_code == 400
    reply = _boot(client, catalog, "2.19", description="my server")
    assert reply.status_code == 202, reply.json
    server_id = reply.json["server"]["id"]
    shown = client.get(f"/v2.1/servers/{server_id}", headers=v("2.19", ALICE)).json
    assert shown["server"]["description"] == "my server"
    old = client.get(f"/v2.1/servers/{server_id}", headers=v("2.18", ALICE)).json
    assert "description" not in old["server"]
    assert _boot(client, catalog, "2.19", description="bad\x01").status_code == 400


def test_embedded_flavor_from_2_47(client, world):
    server_id = world.instance("cell1")
    old = client.get(f"/v2.1/servers/{server_id}", headers=v("2.46", ALICE)).json["server"]
    assert old["flavor"]["id"] == "1" and "links" in old["flavor"]
    new = client.get(f"/v2.1/servers/{server_id}", headers=v("2.47", ALICE)).json["server"]
    assert new["flavor"] == {"original_name": "m1.tiny", "vcpus": 1, "ram": 512, "disk": 1,
                             "ephemeral": 0, "swap": 0, "extra_specs": {}}


def test_tags_and_host_status_in_details(client, world):
    server_id = world.instance("cell1", host="h1")
    cell_tags.replace(world.cells["cell1"].database_connection, server_id, ["b", "a"])
    with session_for(world.cells["cell1"].database_connection) as session:
        service = Service(uuid=str(uuid.uuid4()), host="h1", binary="cellar-compute",
                          last_seen_up=utcnow(), disabled=True)
        session.add(service)
        session.flush()
        node = str(uuid.uuid4())
        session.add(ComputeNode(uuid=node, host="h1", hypervisor_hostname="h1",
                                hypervisor_type="QEMU", vcpus=1, memory_mb=1, local_gb=1,
                                rpc_address="x:1", service_id=service.id))
    db_hosts.ensure(world.api_db, "h1", world.cells["cell1"].uuid)
    shown = client.get(f"/v2.1/servers/{server_id}", headers=v("2.26", ALICE)).json["server"]
    assert shown["tags"] == ["a", "b"] and "host_status" not in shown
    admin = client.get(f"/v2.1/servers/{server_id}", headers=v("2.16", ADMIN)).json["server"]
    assert admin["host_status"] == "DOWN"  # no heartbeat
    client_redis = redis_lib.Redis.from_url(world.redis_url, decode_responses=True)
    liveness.mark_up(client_redis, world.redis_prefix, node, 60, {"host": "h1"})
    client_redis.close()
    listed = client.get("/v2.1/servers/detail?all_tenants=1",
                        headers=v("2.16", ADMIN)).json["servers"]
    assert listed[0]["host_status"] == "MAINTENANCE"
    assert "host_status" not in client.get(
        f"/v2.1/servers/{server_id}", headers=v("2.15", ADMIN)).json["server"]


def test_tag_filters_from_2_26(client, world):
    url = world.cells["cell1"].database_connection
    red = world.instance("cell1")
    blue = world.instance("cell2")
    both = world.instance("cell1")
    world.instance("cell2", project_id="project-b")
    cell_tags.replace(url, red, ["red"])
    cell_tags.replace(world.cells["cell2"].database_connection, blue, ["blue"])
    cell_tags.replace(url, both, ["red", "blue"])

    def ids(query, version="2.26"):
        reply = client.get(f"/v2.1/servers?{query}", headers=v(version, ALICE))
        assert reply.status_code == 200, reply.json
        return {s["id"] for s in reply.json["servers"]}

    assert ids("tags=red") == {red, both}
    assert ids("tags=red,blue") == {both}
    assert ids("tags-any=red,blue") == {red, blue, both}
    assert ids("not-tags=red,blue") == {red, blue}
    assert ids("not-tags-any=red") == {blue}
    assert ids("tags=red&not-tags=blue") == {red}
    # Before 2.26 tag filters are not known and change nothing.
    assert ids("tags=red", "2.25") == {red, blue, both}


def test_filtered_lists_page_across_cells(client, world):
    import datetime
    made = [world.instance("cell1" if n % 2 else "cell2",
                           created_at=datetime.datetime(2024, 1, 1, 0, n))
            for n in range(5)]
    for uuid_ in made:
        cell = "cell1" if made.index(uuid_) % 2 else "cell2"
        cell_tags.replace(world.cells[cell].database_connection, uuid_, ["t"])
    first = client.get("/v2.1/servers?tags=t&limit=2", headers=v("2.26", ALICE)).json
    assert [s["id"] for s in first["servers"]] == [made[4], made[3]]
    marker = first["servers_links"][0]["href"].split("marker=")[1]
    rest = client.get(f"/v2.1/servers?tags=t&limit=2&marker={marker}",
                      headers=v("2.26", ALICE)).json
    assert [s["id"] for s in rest["servers"]] == [made[2], made[1]]


def test_status_filter(client, world, catalog):
    active = world.instance("cell1")
    stopped = world.instance("cell2", vm_state="stopped")
    building = _boot(client, catalog).json["server"]["id"]

    def ids(query, version="2.51"):
        reply = client.get(f"/v2.1/servers?{query}", headers=v(version, ALICE))
        return reply.status_code, {s["id"] for s in reply.json.get("servers", [])}

    assert ids("status=ACTIVE") == (200, {active})
    assert ids("status=SHUTOFF") == (200, {stopped})
    assert ids("status=BUILD") == (200, {building})
    assert ids("status=PAUSED") == (200, set())
    assert ids("status=bogus", "2.37") == (200, set())
    code, _ = ids("status=bogus", "2.38")
    assert code == 400
    # Another project's servers stay out of a tenant's filtered list.
    assert ids("status=ACTIVE")[1].isdisjoint(
        {s["id"] for s in client.get("/v2.1/servers", headers=BOB).json["servers"]} - {active})


def test_image_proxy_is_gone_from_2_36(client, catalog):
    assert client.get("/v2.1/images", headers=v("2.35", ALICE)).status_code == 200
    gone = client.get("/v2.1/images", headers=v("2.36", ALICE))
    assert gone.status_code == 404 and gone.json["itemNotFound"]["code"] == 404
    assert client.get(f"/v2.1/images/{catalog.uuid}",
                      headers=v("2.36", ALICE)).status_code == 404


def test_extended_attributes_from_2_3(client, world):
    server_id = world.instance("cell1", display_name="Web 1")
    old = client.get(f"/v2.1/servers/{server_id}", headers=v("2.2", ADMIN)).json["server"]
    assert "OS-EXT-SRV-ATTR:hostname" not in old and "locked" not in old
    new = client.get(f"/v2.1/servers/{server_id}", headers=v("2.9", ADMIN)).json["server"]
    assert new["OS-EXT-SRV-ATTR:hostname"] == "web-1" and new["locked"] is False
    assert new["OS-EXT-SRV-ATTR:reservation_id"].startswith("r-")
