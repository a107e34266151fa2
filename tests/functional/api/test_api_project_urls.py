"""Paths that carry the caller's project id, as catalogs ending in it make clients send."""

from __future__ import annotations

from tests.functional.api.api_world import ADMIN, ALICE


def test_project_scoped_paths_reach_the_same_resources(client, world):
    world.flavor()
    server = world.instance("cell1")
    assert {s["id"] for s in client.get("/v2.1/project-a/servers",
                                        headers=ALICE).json["servers"]} == {server}
    shown = client.get(f"/v2.1/project-a/servers/{server}", headers=ALICE)
    assert shown.status_code == 200 and shown.json["server"]["id"] == server
    assert client.get("/v2.1/project-a/flavors/detail", headers=ALICE).json["flavors"]
    assert client.post(f"/v2.1/project-a/servers/{server}/action", json={"os-stop": None},
                       headers=ALICE).status_code == 202


def test_another_projects_id_in_the_path_is_400(client, world):
    reply = client.get("/v2.1/project-b/servers", headers=ALICE)
    assert reply.status_code == 400
    assert "doesn't match Context's project_id 'project-a'" in \
        reply.json["badRequest"]["message"]
    # An administrator acting in its own project is held to the same rule.
    assert client.get("/v2.1/project-b/servers", headers=ADMIN).status_code == 400


def test_unscoped_paths_and_unknown_ones_are_unchanged(client, world):
    assert client.get("/v2.1/servers", headers=ALICE).status_code == 200
    assert client.get("/v2.1/project-a/nothing-here", headers=ALICE).status_code == 404
    assert client.get("/v2.1/nothing-here", headers=ALICE).status_code == 404
