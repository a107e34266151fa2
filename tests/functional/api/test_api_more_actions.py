"""Server actions beyond start/stop/reboot: pause, suspend, lock, rebuild, resetState,
console output, createImage, and the moves Cellar refuses for now."""

from __future__ import annotations

import json
import threading

import pytest
import redis as redis_lib

from common import tasks
from db.api import images as db_images
from db.api import instances as api_instances
from db.api import keypairs as db_keypairs
from db.cell import instances as cell_instances
from tests.functional.api.api_world import ADMIN, ALICE, BOB


def _version(text: str, headers: dict[str, str] = ALICE) -> dict[str, str]:
    return {**headers, "OpenStack-API-Version": f"compute {text}"}


def _cell_tasks(world, cell):
    client = redis_lib.Redis.from_url(world.redis_url, decode_responses=True)
    try:
        key = tasks.cell_stream_key(world.redis_prefix, world.cells[cell].uuid)
        return [fields for _id, fields in client.xrange(key)]
    finally:
        client.close()


def _act(client, server_id, body, headers=ALICE):
    return client.post(f"/v2.1/servers/{server_id}/action", json=body, headers=headers)


def _row(world, server_id, cell="cell1"):
    return cell_instances.get(world.cells[cell].database_connection, server_id)


@pytest.mark.parametrize("name,vm_state,task_state", [
    ("pause", "active", "pausing"),
    ("unpause", "paused", "unpausing"),
    ("suspend", "active", "suspending"),
    ("resume", "suspended", "resuming"),
])
def test_power_actions_claim_and_queue(client, world, name, vm_state, task_state):
    server_id = world.instance("cell1", vm_state=vm_state)
    reply = _act(client, server_id, {name: None})
    assert reply.status_code == 202, reply.json
    assert _row(world, server_id).task_state == task_state
    [task] = _cell_tasks(world, "cell1")
    assert task["kind"] == name
    assert json.loads(task["payload"]) == {"instance_uuid": server_id}


@pytest.mark.parametrize("name,vm_state", [
    ("pause", "paused"), ("pause", "stopped"), ("unpause", "active"),
    ("suspend", "paused"), ("resume", "active"), ("resume", "paused"),
])
def test_power_actions_in_the_wrong_state_are_409(client, world, name, vm_state):
    server_id = world.instance("cell1", vm_state=vm_state)
    reply = _act(client, server_id, {name: None})
    assert reply.status_code == 409
    assert reply.json["conflictingRequest"]["message"] == (
        f"Cannot '{name}' instance {server_id} while it is in vm_state {vm_state}")
    assert _cell_tasks(world, "cell1") == []


@pytest.mark.parametrize("vm_state,task_state,status", [
    ("paused", None, "PAUSED"), ("suspended", None, "SUSPENDED"),
    ("active", "rebuilding", "REBUILD"), ("stopped", "rebuilding", "REBUILD"),
])
def test_status_names(client, world, vm_state, task_state, status):
    server_id = world.instance("cell1", vm_state=vm_state, task_state=task_state)
    assert client.get(f"/v2.1/servers/{server_id}",
                      headers=ALICE).json["server"]["status"] == status


def test_lock_shows_and_refuses_the_owner(client, world):
    server_id = world.instance("cell1")
    reply = _act(client, server_id, {"lock": {"locked_reason": "audit"}},
                 headers=_version("2.73"))
    assert reply.status_code == 202, reply.json
    shown = client.get(f"/v2.1/servers/{server_id}", headers=_version("2.73")).json["server"]
    assert (shown["locked"], shown["locked_reason"]) == (True, "audit")
    for body in ({"os-stop": None}, {"pause": None}, {"reboot": {"type": "HARD"}}):
        reply = _act(client, server_id, body)
        assert reply.status_code == 409
        assert reply.json["conflictingRequest"]["message"] == f"Instance {server_id} is locked"
    assert client.delete(f"/v2.1/servers/{server_id}", headers=ALICE).status_code == 409
    assert _cell_tasks(world, "cell1") == []
    # An admin is not held back by the lock.
    assert _act(client, server_id, {"pause": None}, headers=ADMIN).status_code == 202


def test_owner_unlocks_own_lock(client, world):
    server_id = world.instance("cell1")
    assert _act(client, server_id, {"lock": None}).status_code == 202
    assert _act(client, server_id, {"lock": None}).status_code == 202  # idempotent
    assert _act(client, server_id, {"unlock": None}).status_code == 202
    row = _row(world, server_id)
    assert (row.locked, row.locked_by, row.locked_reason) == (False, None, None)
    assert _act(client, server_id, {"os-stop": None}).status_code == 202
    shown = client.get(f"/v2.1/servers/{server_id}", headers=_version("2.9")).json["server"]
    assert shown["locked"] is False


def test_admin_lock_is_unlocked_by_admin_only(client, world):
    server_id = world.instance("cell1")
    assert _act(client, server_id, {"lock": None}, headers=ADMIN).status_code == 202
    assert _row(world, server_id).locked_by == "admin"
    reply = _act(client, server_id, {"unlock": None})
    assert reply.status_code == 403
    assert _row(world, server_id).locked is True
    assert _act(client, server_id, {"unlock": None}, headers=ADMIN).status_code == 202
    assert _row(world, server_id).locked is False


@pytest.mark.parametrize("version,body", [
    ("2.72", {"lock": {"locked_reason": "why"}}),
    ("2.73", {"lock": {"locked_reason": ""}}),
    ("2.73", {"lock": {"locked_reason": "x" * 256}}),
    ("2.73", {"lock": {"reason": "why"}}),
])
def test_bad_lock_bodies_are_400(client, world, version, body):
    server_id = world.instance("cell1")
    reply = _act(client, server_id, body, headers=_version(version))
    assert reply.status_code == 400, reply.json
    assert _row(world, server_id).locked is False


def test_rebuild_changes_image_name_metadata_and_queues(client, world):
    server_id = world.instance("cell1", vm_state="stopped")
    image = world.image(name="fedora")
    reply = _act(client, server_id, {"rebuild": {
        "imageRef": image.uuid, "name": "renamed", "metadata": {"role": "db"},
        "adminPass": "s3cret"}})
    assert reply.status_code == 202, reply.json
    server = reply.json["server"]
    assert (server["id"], server["status"], server["name"]) == (server_id, "REBUILD", "renamed")
    assert server["image"]["id"] == image.uuid
    assert server["metadata"] == {"role": "db"}
    assert server["adminPass"] == "s3cret"
    row = _row(world, server_id)
    assert (row.image_ref, row.task_state, row.vm_state) == (image.uuid, "rebuilding", "stopped")
    [task] = _cell_tasks(world, "cell1")
    assert task["kind"] == "rebuild"
    assert json.loads(task["payload"]) == {"instance_uuid": server_id,
                                           "image_ref": image.uuid}


def test_rebuild_later_microversion_fields(client, world):
    server_id = world.instance("cell1")
    image = world.image()
    db_keypairs.create(world.api_db, "alice", "k1", "ssh-ed25519 AAAA k1", "aa:bb", "ssh")
    reply = _act(client, server_id, {"rebuild": {
        "imageRef": image.uuid, "description": "rebuilt", "key_name": "k1",
        "user_data": "aGVsbG8=", "trusted_image_certificates": ["cert-1"]}},
        headers=_version("2.63"))
    assert reply.status_code == 202, reply.json
    server = reply.json["server"]
    assert (server["description"], server["key_name"], server["user_data"]) == (
        "rebuilt", "k1", "aGVsbG8=")
    assert server["trusted_image_certificates"] == ["cert-1"]
    spec = api_instances.specs_of(world.api_db, [server_id])[server_id]
    assert (spec["key_name"], spec["description"]) == ("k1", "rebuilt")


@pytest.mark.parametrize("version,extra,message", [
    ("2.1", {"description": "d"}, "Invalid input"),
    ("2.53", {"key_name": "k1"}, "Invalid input"),
    ("2.54", {"key_name": "nope"}, "Invalid key_name provided."),
    ("2.56", {"user_data": "aGVsbG8="}, "Invalid input"),
    ("2.57", {"user_data": "not base64!"}, "User data needs to be valid base 64."),
    ("2.57", {"personality": []}, "Invalid input"),
    ("2.62", {"trusted_image_certificates": ["c"]}, "Invalid input"),
    ("2.63", {"trusted_image_certificates": []}, "Invalid input"),
    ("2.63", {"trusted_image_certificates": ["c", "c"]}, "Invalid input"),
])
def test_bad_rebuild_bodies_are_400(client, world, version, extra, message):
    server_id = world.instance("cell1")
    image = world.image()
    reply = _act(client, server_id, {"rebuild": {"imageRef": image.uuid, **extra}},
                 headers=_version(version))
    assert reply.status_code == 400, reply.json
    assert reply.json["badRequest"]["message"].startswith(message)
    assert _row(world, server_id).task_state is None


@pytest.mark.parametrize("body,message", [
    ({"rebuild": {}}, "Invalid input"),
    ({"rebuild": {"imageRef": "not-a-uuid"}}, "Invalid imageRef provided."),
    ({"rebuild": {"imageRef": "5c1f6e2a-4b1e-4f0e-9d55-0a11ce11a799"}}, "Image "),
])
def test_rebuild_without_a_known_image_is_400(client, world, body, message):
    server_id = world.instance("cell1")
    reply = _act(client, server_id, body)
    assert reply.status_code == 400
    assert reply.json["badRequest"]["message"].startswith(message)


def test_rebuild_image_too_big_for_flavor_is_400(client, world):
    server_id = world.instance("cell1")
    image = world.image(min_ram=4096)
    reply = _act(client, server_id, {"rebuild": {"imageRef": image.uuid}})
    assert reply.status_code == 400
    assert "memory is too small" in reply.json["badRequest"]["message"]


def test_rebuild_of_a_paused_server_is_409(client, world):
    server_id = world.instance("cell1", vm_state="paused")
    image = world.image()
    reply = _act(client, server_id, {"rebuild": {"imageRef": image.uuid}})
    assert reply.status_code == 409
    assert "vm_state paused" in reply.json["conflictingRequest"]["message"]
    assert _row(world, server_id).image_ref != image.uuid


def test_reset_state_is_admin_only_and_clears_the_task(client, world):
    server_id = world.instance("cell1", vm_state="active", task_state="rebooting")
    body = {"os-resetState": {"state": "error"}}
    assert _act(client, server_id, body).status_code == 403
    assert _act(client, server_id, body, headers=ADMIN).status_code == 202
    row = _row(world, server_id)
    assert (row.vm_state, row.task_state) == ("error", None)
    reply = _act(client, server_id, {"os-resetState": {"state": "active"}}, headers=ADMIN)
    assert reply.status_code == 202
    assert _row(world, server_id).vm_state == "active"
    assert _cell_tasks(world, "cell1") == []


@pytest.mark.parametrize("argument", [{}, {"state": "stopped"}, {"state": "active", "x": 1}])
def test_bad_reset_state_is_400(client, world, argument):
    server_id = world.instance("cell1")
    assert _act(client, server_id, {"os-resetState": argument},
                headers=ADMIN).status_code == 400


def test_console_output_of_a_server_without_agent_is_409(client, world):
    server_id = world.instance("cell1", host="no-such-host")
    reply = _act(client, server_id, {"os-getConsoleOutput": {"length": 5}})
    assert reply.status_code == 409
    assert reply.json["conflictingRequest"]["message"] == f"Instance {server_id} is not ready"


@pytest.mark.parametrize("argument", [{"length": -2}, {"length": "ten"}, {"lines": 3},
                                      {"length": 1.5}])
def test_bad_console_output_bodies_are_400(client, world, argument):
    server_id = world.instance("cell1")
    assert _act(client, server_id, {"os-getConsoleOutput": argument}).status_code == 400


def test_create_image_answers_the_image_id(client, world):
    base = world.image(name="cirros", properties={"os_distro": "cirros"})
    server_id = world.instance("cell1", image_ref=base.uuid)
    reply = _act(client, server_id, {"createImage": {"name": "snap",
                                                     "metadata": {"note": "before"}}},
                 headers=_version("2.45"))
    assert reply.status_code == 202, reply.json
    assert "Location" not in reply.headers
    image = db_images.get(world.api_db, reply.json["image_id"])
    assert (image.name, image.status) == ("snap", "active")
    assert image.properties["instance_uuid"] == server_id
    assert image.properties["base_image_ref"] == base.uuid
    assert (image.properties["note"], image.properties["os_distro"]) == ("before", "cirros")


def test_create_image_before_2_45_answers_a_location(client, world):
    server_id = world.instance("cell1")
    reply = _act(client, server_id, {"createImage": {"name": "snap"}},
                 headers=_version("2.44"))
    assert reply.status_code == 202
    image_id = reply.headers["Location"].rsplit("/", 1)[-1]
    assert reply.headers["Location"].endswith(f"/v2.1/images/{image_id}")
    assert db_images.get(world.api_db, image_id).properties["instance_uuid"] == server_id


@pytest.mark.parametrize("argument", [{}, {"name": ""}, {"name": "s", "size": 3}, None])
def test_bad_create_image_bodies_are_400(client, world, argument):
    server_id = world.instance("cell1")
    assert _act(client, server_id, {"createImage": argument}).status_code == 400


def test_create_image_of_a_busy_server_is_409(client, world):
    server_id = world.instance("cell1", task_state="rebooting")
    reply = _act(client, server_id, {"createImage": {"name": "snap"}})
    assert reply.status_code == 409


@pytest.mark.parametrize("body,headers", [
    ({"resize": {"flavorRef": "2"}}, ALICE),
    ({"confirmResize": None}, ALICE),
    ({"revertResize": None}, ALICE),
    ({"migrate": None}, ADMIN),
    ({"migrate": {"host": "h2"}}, _version("2.56", ADMIN)),
    ({"os-migrateLive": {"block_migration": "auto", "host": None}}, ADMIN),
    ({"evacuate": {"host": "h2"}}, ADMIN),
    ({"shelve": None}, ALICE),
    ({"unshelve": None}, ALICE),
])
def test_moves_are_refused_with_409(client, world, body, headers):
    server_id = world.instance("cell1")
    reply = _act(client, server_id, body, headers=headers)
    assert reply.status_code == 409, reply.json
    assert "moving servers between hosts is not available yet" in \
        reply.json["conflictingRequest"]["message"]
    assert _row(world, server_id).task_state is None


@pytest.mark.parametrize("body", [
    {"resize": {}}, {"resize": {"flavorRef": "2", "x": 1}}, {"confirmResize": {"a": 1}},
    {"migrate": {"host": "h2"}}, {"os-migrateLive": {"host": "h"}},
    {"os-migrateLive": {"block_migration": "sometimes", "host": None}},
    {"evacuate": {"host": ""}}, {"shelve": {"now": True}},
    {"unshelve": {"availability_zone": "az1"}},
])
def test_bad_move_bodies_are_400(client, world, body):
    server_id = world.instance("cell1")
    assert _act(client, server_id, body, headers=ADMIN).status_code == 400


def test_unshelve_availability_zone_from_2_77(client, world):
    server_id = world.instance("cell1")
    reply = _act(client, server_id, {"unshelve": {"availability_zone": "az1"}},
                 headers=_version("2.77"))
    assert reply.status_code == 409
    reply = _act(client, server_id, {"unshelve": {"availability_zone": ""}},
                 headers=_version("2.77"))
    assert reply.status_code == 400


@pytest.mark.parametrize("version,body,status", [
    ("2.90", {"host": "h1"}, 400),
    ("2.90", {"availability_zone": None}, 400),
    ("2.91", {"host": "h1"}, 409),
    ("2.91", {"availability_zone": None}, 409),
    ("2.91", {"host": ""}, 400),
])
def test_unshelve_host_and_unpinning_from_2_91(client, world, version, body, status):
    server_id = world.instance("cell1")
    reply = _act(client, server_id, {"unshelve": body}, headers=_version(version, ADMIN))
    assert reply.status_code == status, reply.json


@pytest.mark.parametrize("version,status", [("2.13", 400), ("2.29", 409), ("2.67", 409),
                                            ("2.68", 400)])
def test_evacuate_force_only_from_2_29_to_2_67(client, world, version, status):
    server_id = world.instance("cell1")
    reply = _act(client, server_id, {"evacuate": {"host": "h2", "force": True}},
                 headers=_version(version, ADMIN))
    assert reply.status_code == status, reply.json


def test_evacuate_on_shared_storage_only_before_2_14(client, world):
    server_id = world.instance("cell1")
    body = {"evacuate": {"host": "h2", "onSharedStorage": False}}
    assert _act(client, server_id, body, headers=_version("2.13", ADMIN)).status_code == 409
    assert _act(client, server_id, body, headers=_version("2.14", ADMIN)).status_code == 400


def test_rebuild_hostname_from_2_90(client, world):
    server_id = world.instance("cell1")
    image = world.image()
    body = {"rebuild": {"imageRef": image.uuid, "hostname": "db-1"}}
    assert _act(client, server_id, body, headers=_version("2.89")).status_code == 400
    reply = _act(client, server_id, body, headers=_version("2.90"))
    assert reply.status_code == 202, reply.json
    assert reply.json["server"]["OS-EXT-SRV-ATTR:hostname"] == "db-1"
    spec = api_instances.specs_of(world.api_db, [server_id])[server_id]
    assert spec["hostname"] == "db-1"


@pytest.mark.parametrize("body", [{"migrate": None}, {"evacuate": None},
                                  {"os-migrateLive": {"block_migration": True, "host": None}}])
def test_admin_moves_are_forbidden_to_owners(client, world, body):
    server_id = world.instance("cell1")
    assert _act(client, server_id, body).status_code == 403


@pytest.mark.parametrize("body", [
    {"pause": None}, {"lock": None}, {"rebuild": {"imageRef": "x"}},
    {"os-getConsoleOutput": {}}, {"createImage": {"name": "s"}}, {"resize": {"flavorRef": 1}},
])
def test_another_projects_server_is_404(client, world, body):
    server_id = world.instance("cell1", project_id="project-b", user_id="bob")
    reply = _act(client, server_id, body, headers=ALICE)
    assert reply.status_code == 404
    assert _act(client, "5c1f6e2a-4b1e-4f0e-9d55-0a11ce11a799", body,
                headers=BOB).status_code == 404


def test_racing_pause_and_suspend_one_wins(app, world):
    server_id = world.instance("cell1")
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def act(name: str) -> None:
        client = app.test_client()
        barrier.wait()
        statuses.append(_act(client, server_id, {name: None}).status_code)

    threads = [threading.Thread(target=act, args=(name,)) for name in ("pause", "suspend")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [202, 409]
    assert len(_cell_tasks(world, "cell1")) == 1


def test_racing_lock_and_stop_leave_no_stop_on_a_locked_server(app, world):
    server_id = world.instance("cell1")
    barrier = threading.Barrier(2)
    statuses: dict[str, int] = {}

    def act(name: str, body: dict) -> None:
        client = app.test_client()
        barrier.wait()
        statuses[name] = _act(client, server_id, body).status_code

    threads = [threading.Thread(target=act, args=("lock", {"lock": None})),
               threading.Thread(target=act, args=("stop", {"os-stop": None}))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses["lock"] == 202
    # Either the stop came first (queued) or it met the lock (409): never both.
    queued = _cell_tasks(world, "cell1")
    assert (statuses["stop"], len(queued)) in ((202, 1), (409, 0))
