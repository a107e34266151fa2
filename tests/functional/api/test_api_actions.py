"""POST /v2.1/servers/{id}/action: start, stop, reboot with compare-and-swap."""

from __future__ import annotations

import json
import threading

import pytest
import redis as redis_lib

from common import tasks
from db.cell import instances as cell_instances
from tests.functional.api.api_world import ADMIN, ALICE


def _cell_tasks(world, cell):
    client = redis_lib.Redis.from_url(world.redis_url, decode_responses=True)
    try:
        key = tasks.cell_stream_key(world.redis_prefix, world.cells[cell].uuid)
        return [fields for _id, fields in client.xrange(key)]
    finally:
        client.close()


def _act(client, server_id, body, headers=ALICE):
    return client.post(f"/v2.1/servers/{server_id}/action", json=body, headers=headers)


@pytest.mark.parametrize("body,vm_state,task_state,payload", [
    ({"os-stop": None}, "active", "powering-off", {}),
    ({"os-stop": None}, "error", "powering-off", {}),
    ({"os-start": None}, "stopped", "powering-on", {}),
    ({"reboot": {"type": "SOFT"}}, "active", "rebooting", {"reboot_type": "SOFT"}),
    ({"reboot": {"type": "hard"}}, "stopped", "rebooting_hard", {"reboot_type": "HARD"}),
])
def test_action_claims_the_server_and_queues_the_task(client, world, body, vm_state,
                                                      task_state, payload):
    server_id = world.instance("cell1", vm_state=vm_state)
    reply = _act(client, server_id, body)
    assert reply.status_code == 202, reply.json
    cell_url = world.cells["cell1"].database_connection
    assert cell_instances.get(cell_url, server_id).task_state == task_state
    [task] = _cell_tasks(world, "cell1")
    assert task["kind"] == {"os-stop": "stop", "os-start": "start"}.get(next(iter(body)),
                                                                       "reboot")
    assert json.loads(task["payload"]) == {"instance_uuid": server_id, **payload}
    assert task["request_id"] == reply.headers["x-openstack-request-id"]


@pytest.mark.parametrize("body,vm_state,task_state,message", [
    ({"os-stop": None}, "stopped", None, "while it is in vm_state stopped"),
    ({"os-start": None}, "active", None, "while it is in vm_state active"),
    ({"reboot": {"type": "SOFT"}}, "active", "powering-off",
     "while it is in task_state powering-off"),
])
def test_wrong_state_is_409(client, world, body, vm_state, task_state, message):
    server_id = world.instance("cell1", vm_state=vm_state, task_state=task_state)
    reply = _act(client, server_id, body)
    assert reply.status_code == 409
    action = {"os-stop": "stop", "os-start": "start"}.get(next(iter(body)), "reboot")
    assert reply.json["conflictingRequest"]["message"] == (
        f"Cannot '{action}' instance {server_id} {message}")
    assert _cell_tasks(world, "cell1") == []


def test_server_still_building_is_409(client, world):
    world.flavor()
    image = world.image()
    reply = client.post("/v2.1/servers", headers=ALICE, json={"server": {
        "name": "b", "flavorRef": "1", "imageRef": image.uuid}})
    server_id = reply.json["server"]["id"]
    reply = _act(client, server_id, {"os-stop": None})
    assert reply.status_code == 409
    assert "vm_state building" in reply.json["conflictingRequest"]["message"]


@pytest.mark.parametrize("body,message", [
    ({"os-explode": None}, "There is no such action: os-explode"),
    ({}, "Malformed request body"), ([], "Malformed request body"),
    ({"os-stop": None, "os-start": None}, "Malformed request body"),
    ({"reboot": {}}, "Invalid input"), ({"reboot": {"type": "GENTLE"}}, "Invalid input"),
    ({"reboot": None}, "Invalid input"), ({"os-stop": {"force": True}}, "Invalid input"),
])
def test_bad_action_bodies_are_400(client, world, body, message):
    server_id = world.instance("cell1")
    reply = _act(client, server_id, body)
    assert reply.status_code == 400, reply.json
    assert reply.json["badRequest"]["message"].startswith(message)


def test_admin_may_act_on_any_server(client, world):
    server_id = world.instance("cell2", project_id="project-b", user_id="bob")
    assert _act(client, server_id, {"os-stop": None}, headers=ADMIN).status_code == 202


def test_racing_actions_one_wins_one_conflicts(app, world):
    server_id = world.instance("cell1")
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def stop() -> None:
        client = app.test_client()
        barrier.wait()
        statuses.append(_act(client, server_id, {"os-stop": None}).status_code)

    threads = [threading.Thread(target=stop) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [202, 409]
    assert len(_cell_tasks(world, "cell1")) == 1
