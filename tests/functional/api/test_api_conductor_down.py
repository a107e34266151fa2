"""A cell whose conductors stopped vouching for it takes no actions: 503, nothing queued."""

from __future__ import annotations

import redis as redis_lib

from common import tasks
from db.cell import instances as cell_instances
from tests.functional.api.api_world import ADMIN, ALICE


def _queued(world, cell: str) -> int:
    client = redis_lib.Redis.from_url(world.redis_url)
    try:
        key = tasks.cell_stream_key(world.redis_prefix, world.cells[cell].uuid)
        return client.xlen(key) if client.exists(key) else 0
    finally:
        client.close()


def test_actions_and_delete_answer_503_without_a_conductor(client, world):
    server = world.instance("cell2")
    world.set_conductor("cell2", alive=False)
    for body in ({"os-stop": None}, {"reboot": {"type": "HARD"}}, {"pause": None}):
        reply = client.post(f"/v2.1/servers/{server}/action", json=body, headers=ALICE)
        assert reply.status_code == 503, (body, reply.json)
        assert "has no conductor answering" in reply.json["serviceUnavailable"]["message"]
    reply = client.delete(f"/v2.1/servers/{server}", headers=ALICE)
    assert reply.status_code == 503
    row = cell_instances.get(world.cells["cell2"].database_connection, server)
    assert (row.vm_state, row.task_state) == ("active", None)
    assert _queued(world, "cell2") == 0
    # What needs no conductor still works, and the other cell is untouched.
    assert client.post(f"/v2.1/servers/{server}/action", json={"lock": None},
                       headers=ADMIN).status_code == 202
    other = world.instance("cell1")
    assert client.post(f"/v2.1/servers/{other}/action", json={"os-stop": None},
                       headers=ALICE).status_code == 202


def test_actions_resume_when_a_conductor_vouches_again(client, world):
    server = world.instance("cell2")
    world.set_conductor("cell2", alive=False)
    body = {"os-stop": None}
    assert client.post(f"/v2.1/servers/{server}/action", json=body,
                       headers=ALICE).status_code == 503
    world.set_conductor("cell2", alive=True)
    assert client.post(f"/v2.1/servers/{server}/action", json=body,
                       headers=ALICE).status_code == 202
    assert _queued(world, "cell2") == 1
