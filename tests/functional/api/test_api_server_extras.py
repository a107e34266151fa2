"""Server metadata, tags and instance actions over real API and cell DBs."""

from __future__ import annotations

import concurrent.futures
import datetime

import pytest

from db.cell import actions as cell_actions
from db.cell import instances as cell_instances
from db.cell.models import InstanceActionEvent
from tests.functional.api.api_world import ADMIN, ALICE, BOB


def v(version: str, headers: dict) -> dict:
    return {**headers, "OpenStack-API-Version": f"compute {version}"}


@pytest.fixture
def server(world):
    return world.instance("cell1", metadata_items={"a": "1"})


def test_metadata_crud(client, server):
    base = f"/v2.1/servers/{server}/metadata"
    assert client.get(base, headers=ALICE).json == {"metadata": {"a": "1"}}
    merged = client.post(base, json={"metadata": {"b": "2"}}, headers=ALICE)
    assert merged.status_code == 200 and merged.json == {"metadata": {"a": "1", "b": "2"}}
    replaced = client.put(base, json={"metadata": {"c": "3"}}, headers=ALICE)
    assert replaced.json == {"metadata": {"c": "3"}}
    item = client.put(f"{base}/d", json={"meta": {"d": "4"}}, headers=ALICE)
    assert item.status_code == 200 and item.json == {"meta": {"d": "4"}}
    assert client.get(f"{base}/d", headers=ALICE).json == {"meta": {"d": "4"}}
    assert client.delete(f"{base}/d", headers=ALICE).status_code == 204
    assert client.get(f"{base}/d", headers=ALICE).status_code == 404
    assert client.delete(f"{base}/d", headers=ALICE).status_code == 404
    shown = client.get(f"/v2.1/servers/{server}", headers=ALICE).json["server"]
    assert shown["metadata"] == {"c": "3"}


@pytest.mark.parametrize("path,method,body", [
    ("/metadata", "post", {"metadata": {"k": 1}}),
    ("/metadata", "put", {"metadata": {"": "x"}}),
    ("/metadata", "put", {"meta": {"a": "b"}}),
    ("/metadata/k", "put", {"meta": {"other": "v"}}),
    ("/metadata/k", "put", {"meta": {"k": "v", "l": "w"}}),
    ("/metadata", "post", {"metadata": {"k": "v" * 256}}),
])
def test_bad_metadata_is_400(client, server, path, method, body):
    reply = getattr(client, method)(f"/v2.1/servers/{server}{path}", json=body,
                                    headers=ALICE)
    assert reply.status_code == 400, reply.json
    assert reply.json["badRequest"]["code"] == 400


def test_metadata_quota(client, server):
    client.put("/v2.1/os-quota-sets/project-a", json={"quota_set": {"metadata_items": 2}},
               headers=ADMIN)
    assert client.post(f"/v2.1/servers/{server}/metadata", json={"metadata": {"b": "2"}},
                       headers=ALICE).status_code == 200
    reply = client.post(f"/v2.1/servers/{server}/metadata", json={"metadata": {"c": "3"}},
                        headers=ALICE)
    assert reply.status_code == 403 and "metadata_items" in reply.json["forbidden"]["message"]


def test_other_project_gets_404(client, server):
    assert client.get(f"/v2.1/servers/{server}/metadata", headers=BOB).status_code == 404
    assert client.post(f"/v2.1/servers/{server}/metadata", json={"metadata": {"x": "y"}},
                       headers=BOB).status_code == 404


def test_racing_metadata_writers_lose_nothing(app, server, world):
    def write(n: int) -> int:
        with app.test_client() as c:
            return c.put(f"/v2.1/servers/{server}/metadata/key{n}",
                         json={"meta": {f"key{n}": str(n)}}, headers=ALICE).status_code

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(write, range(24)))
    assert codes == [200] * 24
    stored = cell_instances.get(world.cells["cell1"].database_connection, server)
    assert stored.metadata_items == {"a": "1", **{f"key{n}": str(n) for n in range(24)}}


def test_metadata_of_a_building_server_is_409(client, world):
    world.flavor()
    image = world.image()
    reply = client.post("/v2.1/servers", json={"server": {
        "name": "b", "flavorRef": "1", "imageRef": image.uuid}}, headers=ALICE)
    server_id = reply.json["server"]["id"]
    assert client.get(f"/v2.1/servers/{server_id}/metadata",
                      headers=ALICE).status_code == 409


def test_tags_need_2_26(client, server):
    assert client.get(f"/v2.1/servers/{server}/tags", headers=ALICE).status_code == 404


def test_tags_crud(client, server):
    base = f"/v2.1/servers/{server}/tags"
    h = v("2.26", ALICE)
    assert client.get(base, headers=h).json == {"tags": []}
    added = client.put(f"{base}/blue", headers=h)
    assert added.status_code == 201 and added.headers["Location"].endswith("/tags/blue")
    assert client.put(f"{base}/blue", headers=h).status_code == 204
    assert client.get(f"{base}/blue", headers=h).status_code == 204
    assert client.get(f"{base}/red", headers=h).status_code == 404
    assert client.put(base, json={"tags": ["x", "y"]}, headers=h).json == {"tags": ["x", "y"]}
    assert client.delete(f"{base}/x", headers=h).status_code == 204
    assert client.delete(f"{base}/x", headers=h).status_code == 404
    assert client.get(base, headers=h).json == {"tags": ["y"]}
    assert client.delete(base, headers=h).status_code == 204
    assert client.get(base, headers=h).json == {"tags": []}
    assert client.put(base, json={"tags": ["a,b"]}, headers=h).status_code == 400
    assert client.put(base, json={"tags": [str(n) for n in range(51)]},
                      headers=h).status_code == 400
    assert client.get(base, headers=v("2.26", BOB)).status_code == 404


def _action_with_event(world, server, request_id="req-1"):
    url = world.cells["cell1"].database_connection
    cell_instances.start_action(url, server, "stop", request_id, "alice", "project-a")
    moment = datetime.datetime(2024, 1, 1, 12)
    cell_actions.add_event(url, server, request_id, InstanceActionEvent(
        event="compute_stop_instance", host="host1", start_time=moment,
        finish_time=moment, result="Error", traceback="Traceback: boom"))


def test_instance_actions_list_and_show(client, world, server):
    _action_with_event(world, server)
    listed = client.get(f"/v2.1/servers/{server}/os-instance-actions", headers=ALICE).json
    [entry] = listed["instanceActions"]
    assert entry["action"] == "stop" and entry["request_id"] == "req-1"
    assert entry["user_id"] == "alice" and "updated_at" not in entry
    shown = client.get(f"/v2.1/servers/{server}/os-instance-actions/req-1",
                       headers=ALICE).json["instanceAction"]
    assert "events" not in shown  # events are for admins before 2.51
    admin = client.get(f"/v2.1/servers/{server}/os-instance-actions/req-1",
                       headers=ADMIN).json["instanceAction"]
    [event] = admin["events"]
    assert event["event"] == "compute_stop_instance" and event["traceback"] == "Traceback: boom"
    assert "host" not in event
    assert client.get(f"/v2.1/servers/{server}/os-instance-actions/nope",
                      headers=ALICE).status_code == 404
    assert client.get(f"/v2.1/servers/{server}/os-instance-actions",
                      headers=BOB).status_code == 404


def test_instance_action_events_by_microversion(client, world, server):
    _action_with_event(world, server)
    path = f"/v2.1/servers/{server}/os-instance-actions/req-1"
    tenant = client.get(path, headers=v("2.51", ALICE)).json["instanceAction"]
    [event] = tenant["events"]
    assert "traceback" not in event and "hostId" not in event
    later = client.get(path, headers=v("2.62", ALICE)).json["instanceAction"]
    assert later["events"][0]["hostId"] and "host" not in later["events"][0]
    assert later["updated_at"]
    admin = client.get(path, headers=v("2.62", ADMIN)).json["instanceAction"]
    assert admin["events"][0]["host"] == "host1"


def test_instance_actions_paging_2_58(client, world, server):
    url = world.cells["cell1"].database_connection
    for n in range(3):
        cell_instances.start_action(url, server, "reboot", f"req-{n}", "alice", "project-a")
    path = f"/v2.1/servers/{server}/os-instance-actions"
    page = client.get(f"{path}?limit=2", headers=v("2.58", ALICE)).json["instanceActions"]
    assert len(page) == 2
    rest = client.get(f"{path}?marker={page[-1]['request_id']}",
                      headers=v("2.58", ALICE)).json["instanceActions"]
    assert len(rest) == 1
    assert client.get(f"{path}?changes-since=garbage",
                      headers=v("2.58", ALICE)).status_code == 400


def test_deleted_server_actions_from_2_21(client, world, server):
    client.delete(f"/v2.1/servers/{server}", headers=ALICE)
    path = f"/v2.1/servers/{server}/os-instance-actions"
    assert client.get(path, headers=v("2.15", ALICE)).status_code == 404


def test_deleted_server_actions_visible_at_2_21(client, world, server):
    client.delete(f"/v2.1/servers/{server}", headers=ALICE)
    listed = client.get(f"/v2.1/servers/{server}/os-instance-actions",
                        headers=v("2.21", ALICE)).json["instanceActions"]
    assert [a["action"] for a in listed] == ["delete"]
