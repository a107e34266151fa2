"""Multiple create on POST /v2.1/servers: min_count, max_count, return_reservation_id."""

from __future__ import annotations

import json
import re

import flask
import pytest
import redis as redis_lib

from api_cell.api.app import create_app
from common import redis_client, tasks
from db.api import instances as api_instances
from tests.functional.api.api_world import ADMIN, ALICE, make_conf


@pytest.fixture
def image(world):
    """Flavor 1 (1 VCPU, 512 MB) and an image to boot from."""
    world.flavor()
    return world.image()


def _queued(world) -> list[str]:
    """The instance uuids of the build tasks in the stream, in order."""
    client = redis_lib.Redis.from_url(world.redis_url, decode_responses=True)
    try:
        entries = client.xrange(tasks.build_stream_key(world.redis_prefix))
    finally:
        client.close()
    assert all(fields["kind"] == "build" for _id, fields in entries)
    return [json.loads(fields["payload"])["instance_uuid"] for _id, fields in entries]


def _builds(world) -> list[api_instances.Build]:
    """Every build request of project-a, first launched first."""
    mappings = api_instances.page(world.api_db, 100, "project-a")
    builds = api_instances.get_builds(world.api_db, [m.instance_uuid for m in mappings])
    return sorted(builds.values(), key=lambda b: b.spec.get("launch_index", 0))


def _boot(client, image, headers=ALICE, hints=None, **fields):
    body = {"server": {"name": "web", "flavorRef": "1", "imageRef": image.uuid, **fields}}
    if hints is not None:
        body["os:scheduler_hints"] = hints
    return client.post("/v2.1/servers", json=body, headers=headers)


def _set_quota(client, **limits):
    reply = client.put("/v2.1/os-quota-sets/project-a", json={"quota_set": limits},
                       headers=ADMIN)
    assert reply.status_code == 200, reply.json


def test_max_count_builds_that_many_servers_named_in_order(client, world, image):
    reply = _boot(client, image, max_count=3)
    assert reply.status_code == 202, reply.json
    builds = _builds(world)
    assert [b.instance["name"] for b in builds] == ["web-1", "web-2", "web-3"]
    assert [b.spec["launch_index"] for b in builds] == [0, 1, 2]
    assert {b.spec["num_instances"] for b in builds} == {3}
    [reservation_id] = {b.spec["reservation_id"] for b in builds}
    assert re.fullmatch(r"r-[a-z0-9]{8}", reservation_id)
    # The reply is the first server's, and each server has exactly one build task.
    assert reply.json["server"]["id"] == builds[0].instance_uuid
    assert reply.headers["Location"].endswith(f"/servers/{builds[0].instance_uuid}")
    assert sorted(_queued(world)) == sorted(b.instance_uuid for b in builds)


def test_counts_as_strings_and_max_count_defaulting_to_min_count(client, world, image):
    assert _boot(client, image, min_count="2", max_count="3").status_code == 202
    assert len(_builds(world)) == 3
    assert _boot(client, image, min_count=2).status_code == 202
    assert len(_builds(world)) == 5
    assert len(_queued(world)) == 5


def test_one_server_keeps_its_name(client, world, image):
    assert _boot(client, image, max_count=1).status_code == 202
    assert _boot(client, image, min_count=1).status_code == 202
    builds = _builds(world)
    assert [b.instance["name"] for b in builds] == ["web", "web"]
    assert {b.spec["num_instances"] for b in builds} == {1}
    # Two requests, two reservations.
    assert len({b.spec["reservation_id"] for b in builds}) == 2


@pytest.mark.parametrize("fields", [
    {"min_count": 3, "max_count": 2},
    {"min_count": "3", "max_count": "2"},
    {"max_count": 0},
    {"min_count": 0},
    {"max_count": "two"},
    {"max_count": 1.5},
    {"max_count": 3, "key_name": "missing"},
    {"max_count": 3, "flavorRef": "404"},
    {"max_count": 3, "return_reservation_id": "maybe"},
    {"max_count": 3, "return_reservation_id": 1},
], ids=range(10))
def test_bad_requests_are_400_and_record_nothing(client, world, image, fields):
    reply = _boot(client, image, **fields)
    assert reply.status_code == 400, reply.json
    assert reply.json["badRequest"]["code"] == 400
    assert api_instances.page(world.api_db, 10) == []
    assert _queued(world) == []


def test_min_count_above_max_count_says_so(client, image):
    reply = _boot(client, image, min_count=3, max_count=2)
    assert reply.json["badRequest"]["message"] == "min_count must be <= max_count"


def test_one_hostname_for_several_servers_is_400(client, world, image):
    headers = {**ALICE, "OpenStack-API-Version": "compute 2.90"}
    reply = _boot(client, image, headers=headers, hostname="web", max_count=2,
                  networks="auto")
    assert reply.status_code == 400, reply.json
    assert api_instances.page(world.api_db, 10) == []
    assert _boot(client, image, headers=headers, hostname="web", max_count=1,
                 networks="auto").status_code == 202


def test_quota_trims_to_what_fits(client, world, image):
    _set_quota(client, instances=4)
    assert _boot(client, image).status_code == 202
    reply = _boot(client, image, min_count=2, max_count=5)
    assert reply.status_code == 202, reply.json
    trimmed = [b for b in _builds(world) if b.spec["num_instances"] > 1]
    assert [b.instance["name"] for b in trimmed] == ["web-1", "web-2", "web-3"]
    assert len(_queued(world)) == 4


def test_ram_quota_trims_too(client, world, image):
    _set_quota(client, ram=1024)
    assert _boot(client, image, max_count=4).status_code == 202
    assert [b.instance["name"] for b in _builds(world)] == ["web-1", "web-2"]


def test_min_count_over_quota_is_403_and_records_nothing(client, world, image):
    _set_quota(client, instances=2)
    reply = _boot(client, image, min_count=3, max_count=5)
    assert reply.status_code == 403, reply.json
    message = reply.json["forbidden"]["message"]
    assert message.startswith("Quota exceeded for instances: Requested 3, but already "
                              "used 0 of 2 instances"), message
    assert api_instances.page(world.api_db, 10) == []
    assert _queued(world) == []


def test_cores_quota_names_cores(client, world, image):
    _set_quota(client, cores=1)
    reply = _boot(client, image, min_count=2)
    assert reply.status_code == 403
    assert reply.json["forbidden"]["message"].startswith("Quota exceeded for cores")


@pytest.mark.parametrize("flag", [True, "true", "yes", "1"])
def test_return_reservation_id_replies_with_it_alone(client, world, image, flag):
    reply = _boot(client, image, max_count=2, return_reservation_id=flag)
    assert reply.status_code == 202, reply.json
    assert set(reply.json) == {"reservation_id"}
    assert "Location" not in reply.headers
    assert {b.spec["reservation_id"] for b in _builds(world)} == {reply.json["reservation_id"]}


@pytest.mark.parametrize("flag", [False, "false", "0"])
def test_return_reservation_id_false_replies_with_the_server(client, image, flag):
    reply = _boot(client, image, return_reservation_id=flag)
    assert reply.status_code == 202, reply.json
    assert "reservation_id" not in reply.json and "id" in reply.json["server"]


def test_admin_sees_the_shared_reservation_id(client, world, image):
    reservation_id = _boot(client, image, max_count=2,
                           return_reservation_id=True).json["reservation_id"]
    headers = {**ADMIN, "OpenStack-API-Version": "compute 2.3"}
    shown = client.get("/v2.1/servers/detail?all_tenants=1", headers=headers).json
    attributes = sorted((s["OS-EXT-SRV-ATTR:launch_index"], s["name"],
                         s["OS-EXT-SRV-ATTR:reservation_id"]) for s in shown["servers"])
    assert attributes == [(0, "web-1", reservation_id), (1, "web-2", reservation_id)]


def _anti_affinity_group(client) -> str:
    reply = client.post("/v2.1/os-server-groups", headers=ALICE, json={
        "server_group": {"name": "spread", "policies": ["anti-affinity"]}})
    assert reply.status_code == 200, reply.json
    return reply.json["server_group"]["id"]


def test_every_server_joins_the_group(client, world, image):
    group = _anti_affinity_group(client)
    assert _boot(client, image, max_count=3, hints={"group": group}).status_code == 202
    builds = _builds(world)
    assert {b.spec["group_uuid"] for b in builds} == {group}
    members = client.get(f"/v2.1/os-server-groups/{group}",
                         headers=ALICE).json["server_group"]["members"]
    assert sorted(members) == sorted(b.instance_uuid for b in builds)


def test_group_too_small_for_all_is_403_and_records_nothing(client, world, image):
    _set_quota(client, server_group_members=2)
    group = _anti_affinity_group(client)
    reply = _boot(client, image, max_count=3, hints={"group": group})
    assert reply.status_code == 403, reply.json
    assert api_instances.page(world.api_db, 10) == []
    assert _queued(world) == []
    members = client.get(f"/v2.1/os-server-groups/{group}",
                         headers=ALICE).json["server_group"]["members"]
    assert members == []


def test_fixed_ip_for_several_servers_is_400(app, client, world, image):
    network = app.extensions["cellar"]["backends"].network
    headers = {**ALICE, "OpenStack-API-Version": "compute 2.37"}
    wanted = [{"uuid": network.uuid, "fixed_ip": "10.20.3.4"}]
    reply = _boot(client, image, headers=headers, max_count=2, networks=wanted)
    assert reply.status_code == 400, reply.json
    assert "fixed_ip" in reply.json["badRequest"]["message"]
    assert api_instances.page(world.api_db, 10) == []
    # The same address for one server is fine.
    assert _boot(client, image, headers=headers, networks=wanted).status_code == 202


@pytest.fixture
def app_without_redis(world) -> flask.Flask:
    """The API with a task queue nobody listens on."""
    application = create_app(make_conf(world.api_db, "redis://127.0.0.1:1/0",
                                       world.redis_prefix,
                                       placement_endpoint=world.placement_endpoint))
    yield application
    application.extensions["cellar"]["backends"].health.stop()
    application.extensions["cellar"]["backends"].pool.shutdown(wait=True)
    redis_client.close_all()


def test_queue_down_takes_every_build_back(app_without_redis, world, image):
    reply = _boot(app_without_redis.test_client(), image, max_count=3)
    assert reply.status_code == 503, reply.json
    assert api_instances.page(world.api_db, 10) == []
