"""Flavor access: private flavors, the projects that may use them (os-flavor-access)."""

from __future__ import annotations

from tests.functional.api.api_world import ADMIN, ALICE, BOB

PRIVATE = {"name": "secret", "ram": 512, "vcpus": 1, "disk": 1, "id": "p1",
           "os-flavor-access:is_public": False}
PUBLIC = {"name": "open", "ram": 512, "vcpus": 1, "disk": 1, "id": "o1"}


def _flavors(client):
    client.post("/v2.1/flavors", headers=ADMIN, json={"flavor": PRIVATE})
    client.post("/v2.1/flavors", headers=ADMIN, json={"flavor": PUBLIC})


def _act(client, name, tenant, headers=ADMIN, flavor="p1"):
    return client.post(f"/v2.1/flavors/{flavor}/action", headers=headers,
                       json={name: {"tenant": tenant}})


def _listed(client, headers):
    return {f["id"] for f in client.get("/v2.1/flavors", headers=headers).json["flavors"]}


def test_access_grants_list_show_and_boot(client, world):
    _flavors(client)
    image = world.image()
    assert _listed(client, ALICE) == {"o1"}
    assert client.get("/v2.1/flavors/p1", headers=ALICE).status_code == 404
    assert client.get("/v2.1/flavors/p1/os-extra_specs", headers=ALICE).status_code == 404
    client.post("/v2.1/flavors/p1/os-extra_specs", headers=ADMIN,
                json={"extra_specs": {"k": "v"}})
    assert client.get("/v2.1/flavors/p1/os-extra_specs/k", headers=ALICE).status_code == 404
    boot = {"server": {"name": "s", "flavorRef": "p1", "imageRef": image.uuid}}
    refused = client.post("/v2.1/servers", headers=ALICE, json=boot)
    assert refused.status_code == 400
    assert client.post("/v2.1/servers", headers=ADMIN, json=boot).status_code == 202

    reply = _act(client, "addTenantAccess", "project-a")
    assert reply.status_code == 200, reply.json
    assert reply.json == {"flavor_access": [{"flavor_id": "p1", "tenant_id": "project-a"}]}
    assert _listed(client, ALICE) == {"o1", "p1"}
    assert _listed(client, BOB) == {"o1"}
    assert client.get("/v2.1/flavors/p1", headers=ALICE).status_code == 200
    assert client.get("/v2.1/flavors/p1", headers=BOB).status_code == 404
    assert client.get("/v2.1/flavors/p1/os-extra_specs/k", headers=ALICE).json == {"k": "v"}
    assert client.post("/v2.1/servers", headers=ALICE, json=boot).status_code == 202
    assert client.post("/v2.1/servers", headers=BOB, json=boot).status_code == 400

    listed = client.get("/v2.1/flavors/p1/os-flavor-access", headers=ADMIN)
    assert listed.json["flavor_access"] == [{"flavor_id": "p1", "tenant_id": "project-a"}]
    removed = _act(client, "removeTenantAccess", "project-a")
    assert removed.status_code == 200 and removed.json == {"flavor_access": []}
    assert _listed(client, ALICE) == {"o1"}


def test_access_errors(client):
    _flavors(client)
    assert _act(client, "addTenantAccess", "project-a").status_code == 200
    assert _act(client, "addTenantAccess", "project-a").status_code == 409
    assert _act(client, "addTenantAccess", "project-a", flavor="o1").status_code == 409
    assert _act(client, "addTenantAccess", "project-a", flavor="nope").status_code == 404
    assert _act(client, "removeTenantAccess", "project-b").status_code == 404
    assert _act(client, "addTenantAccess", "project-b", headers=ALICE).status_code == 403
    assert _act(client, "removeTenantAccess", "project-a", headers=ALICE).status_code == 403
    assert client.get("/v2.1/flavors/p1/os-flavor-access", headers=ALICE).status_code == 403
    assert client.get("/v2.1/flavors/o1/os-flavor-access", headers=ADMIN).status_code == 404
    assert client.get("/v2.1/flavors/nope/os-flavor-access",
                      headers=ADMIN).status_code == 404
    for body in ({"addTenantAccess": {}}, {"addTenantAccess": {"tenant": ""}},
                 {"addTenantAccess": {"tenant": "a", "x": 1}}, {"grant": {"tenant": "a"}},
                 {"addTenantAccess": {"tenant": "a"}, "removeTenantAccess": {"tenant": "a"}},
                 []):
        assert client.post("/v2.1/flavors/p1/action", headers=ADMIN,
                           json=body).status_code == 400, body


def test_deleting_a_flavor_drops_its_access(client):
    _flavors(client)
    _act(client, "addTenantAccess", "project-a")
    assert client.delete("/v2.1/flavors/p1", headers=ADMIN).status_code == 202
    client.post("/v2.1/flavors", headers=ADMIN, json={"flavor": PRIVATE})
    assert client.get("/v2.1/flavors/p1/os-flavor-access",
                      headers=ADMIN).json == {"flavor_access": []}
