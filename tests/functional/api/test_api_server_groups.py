"""/v2.1/os-server-groups, the group hint on server create, and the scheduler filter."""

from __future__ import annotations

import pytest

from api_cell.scheduler import server_group_filter
from api_cell.scheduler.hosts import HostCandidate
from api_cell.scheduler.scheduler import Scheduler
from db.api import cells as db_cells
from db.api import instances as api_instances
from db.api import server_groups as db_groups
from tests.functional.api.api_world import ADMIN, ALICE, BOB


def v(version: str, headers: dict) -> dict:
    return {**headers, "OpenStack-API-Version": f"compute {version}"}


def _create(client, headers=ALICE, version="2.15", **group):
    group = group or {"name": "g", "policies": ["anti-affinity"]}
    return client.post("/v2.1/os-server-groups", json={"server_group": group},
                       headers=v(version, headers))


def test_create_list_show_delete(client):
    reply = _create(client)
    assert reply.status_code == 200, reply.json
    group = reply.json["server_group"]
    assert group["policies"] == ["anti-affinity"] and group["members"] == []
    assert group["project_id"] == "project-a" and group["user_id"] == "alice"
    assert group["metadata"] == {}
    old = client.get(f"/v2.1/os-server-groups/{group['id']}", headers=ALICE).json
    assert "project_id" not in old["server_group"]  # before 2.13
    listed = client.get("/v2.1/os-server-groups", headers=ALICE).json["server_groups"]
    assert [g["id"] for g in listed] == [group["id"]]
    assert client.delete(f"/v2.1/os-server-groups/{group['id']}",
                         headers=ALICE).status_code == 204
    assert client.get(f"/v2.1/os-server-groups/{group['id']}",
                      headers=ALICE).status_code == 404


def test_projects_never_see_each_others_groups(client):
    group = _create(client).json["server_group"]
    assert client.get("/v2.1/os-server-groups", headers=BOB).json["server_groups"] == []
    assert client.get(f"/v2.1/os-server-groups/{group['id']}", headers=BOB).status_code == 404
    assert client.delete(f"/v2.1/os-server-groups/{group['id']}",
                         headers=BOB).status_code == 404
    # all_projects is for admins; a tenant asking for it sees its own.
    assert client.get("/v2.1/os-server-groups?all_projects=true",
                      headers=BOB).json["server_groups"] == []
    every = client.get("/v2.1/os-server-groups?all_projects=true", headers=ADMIN).json
    assert [g["id"] for g in every["server_groups"]] == [group["id"]]


@pytest.mark.parametrize("version,group", [
    ("2.1", {"name": "g", "policies": ["soft-affinity"]}),
    ("2.15", {"name": "g", "policies": ["affinity", "anti-affinity"]}),
    ("2.15", {"name": "g", "policies": ["bogus"]}),
    ("2.15", {"name": "", "policies": ["affinity"]}),
    ("2.15", {"policies": ["affinity"]}),
    ("2.15", {"name": "g", "policy": "affinity"}),
])
def test_bad_groups_are_400(client, version, group):
    reply = _create(client, version=version, **group)
    assert reply.status_code == 400, reply.json
    assert reply.json["badRequest"]["code"] == 400


def test_policy_and_rules_from_2_64(client):
    reply = _create(client, version="2.64", name="g", policy="anti-affinity",
                    rules={"max_server_per_host": 2})
    assert reply.status_code == 200, reply.json
    group = reply.json["server_group"]
    assert group["policy"] == "anti-affinity" and group["rules"] == {"max_server_per_host": 2}
    assert "policies" not in group and "metadata" not in group
    bad = _create(client, version="2.64", name="g", policy="affinity",
                  rules={"max_server_per_host": 2})
    assert bad.status_code == 400


def test_group_quota(client):
    client.put("/v2.1/os-quota-sets/project-a", json={"quota_set": {"server_groups": 1}},
               headers=ADMIN)
    assert _create(client).status_code == 200
    reply = _create(client)
    assert reply.status_code == 403 and "forbidden" in reply.json


def test_group_hint_on_create(client, world):
    world.flavor()
    image = world.image()
    group = _create(client).json["server_group"]
    body = {"server": {"name": "s", "flavorRef": "1", "imageRef": image.uuid},
            "os:scheduler_hints": {"group": group["id"]}}
    reply = client.post("/v2.1/servers", json=body, headers=ALICE)
    assert reply.status_code == 202, reply.json
    server_id = reply.json["server"]["id"]
    spec = api_instances.get_build(world.api_db, server_id).spec
    assert spec["group_uuid"] == group["id"] and spec["group_policy"] == "anti-affinity"
    shown = client.get(f"/v2.1/os-server-groups/{group['id']}", headers=ALICE).json
    assert shown["server_group"]["members"] == [server_id]
    # Bob may not put a server in Alice's group; a malformed hint is refused too.
    assert client.post("/v2.1/servers", json=body, headers=BOB).status_code == 400
    body["os:scheduler_hints"] = {"group": "not-a-uuid"}
    assert client.post("/v2.1/servers", json=body, headers=ALICE).status_code == 400
    # Deleting the server takes it out of the group.
    client.delete(f"/v2.1/servers/{server_id}", headers=ALICE)
    shown = client.get(f"/v2.1/os-server-groups/{group['id']}", headers=ALICE).json
    assert shown["server_group"]["members"] == []


def test_group_members_quota_on_create(client, world):
    world.flavor()
    image = world.image()
    client.put("/v2.1/os-quota-sets/project-a",
               json={"quota_set": {"server_group_members": 1}}, headers=ADMIN)
    group = _create(client).json["server_group"]
    body = {"server": {"name": "s", "flavorRef": "1", "imageRef": image.uuid},
            "os:scheduler_hints": {"group": group["id"]}}
    assert client.post("/v2.1/servers", json=body, headers=ALICE).status_code == 202
    reply = client.post("/v2.1/servers", json=body, headers=ALICE)
    assert reply.status_code == 403
    # The refused server left nothing behind.
    assert api_instances.count_for_project(world.api_db, "project-a") == 1


def _candidates(*hosts: str) -> list[HostCandidate]:
    return [HostCandidate(node_uuid=f"n-{h}", allocations={}, summary={}, host=h,
                          cell_uuid="c") for h in hosts]


@pytest.mark.parametrize("policy,rules,kept", [
    ("affinity", {}, ["host1"]),
    ("anti-affinity", {}, ["host3"]),
    ("anti-affinity", {"max_server_per_host": 2}, ["host2", "host3"]),
    ("soft-anti-affinity", {}, ["host1", "host2", "host3"]),
])
def test_scheduler_filter_reads_member_hosts(world, policy, rules, kept):
    group = db_groups.create(world.api_db, "g", "project-a", "alice", policy, rules)
    members = [world.instance("cell1", host="host1"), world.instance("cell1", host="host1"),
               world.instance("cell2", host="host2")]
    if policy != "affinity":
        members = members[:1] + members[2:] + [world.instance("cell1", host="host1")]
    else:
        members = members[:2]
    for uuid in members:
        db_groups.add_member(world.api_db, group.uuid, uuid)
    db_groups.add_member(world.api_db, group.uuid, "new-one")
    cache = db_cells.CellCache(world.api_db, max_age=0)
    check = server_group_filter.build(cache, {"group_uuid": group.uuid,
                                              "instance_uuid": "new-one"})
    candidates = _candidates("host1", "host2", "host3")
    if check is None:
        assert kept == ["host1", "host2", "host3"]
        return
    reasons = {c.host: check(c) for c in candidates}
    assert sorted(h for h, r in reasons.items() if r is None) == kept
    assert all(group.uuid in r for r in reasons.values() if r is not None)


def test_scheduler_adds_the_group_filter_for_a_spec_with_a_group(world):
    group = db_groups.create(world.api_db, "g", "project-a", "alice", "anti-affinity")
    db_groups.add_member(world.api_db, group.uuid, world.instance("cell1", host="host1"))
    scheduler = Scheduler(None, None, "pfx", db_cells.CellCache(world.api_db, max_age=0))
    assert len(scheduler._filters({})) == 2
    chosen = scheduler._filters({"group_uuid": group.uuid, "instance_uuid": "new"})
    [host1, host2] = _candidates("host1", "host2")
    assert [f(host1) for f in chosen][-1] is not None
    assert all(f(host2) is None for f in chosen)
