"""/v2.1/flavors over a real API DB."""

from __future__ import annotations

import pytest

from tests.functional.api.api_world import ADMIN, ALICE

TINY = {"name": "m1.tiny", "ram": 512, "vcpus": 1, "disk": 1, "id": "1"}


def _create(client, headers=ADMIN, **fields):
    return client.post("/v2.1/flavors", json={"flavor": {**TINY, **fields}}, headers=headers)


def test_admin_creates_and_everyone_reads(client):
    reply = _create(client, swap=512, **{"OS-FLV-EXT-DATA:ephemeral": 2})
    assert reply.status_code == 200, reply.json
    flavor = reply.json["flavor"]
    assert flavor["id"] == "1" and flavor["ram"] == 512 and flavor["swap"] == 512
    assert flavor["OS-FLV-EXT-DATA:ephemeral"] == 2
    assert flavor["os-flavor-access:is_public"] is True
    assert client.get("/v2.1/flavors/1", headers=ALICE).json["flavor"] == flavor
    assert client.get("/v2.1/flavors/detail", headers=ALICE).json["flavors"] == [flavor]
    [summary] = client.get("/v2.1/flavors", headers=ALICE).json["flavors"]
    assert set(summary) == {"id", "name", "links"}


def test_id_defaults_to_a_uuid_and_strings_are_integers(client):
    reply = _create(client, id=None, ram="2048", vcpus="2")
    assert reply.status_code == 200, reply.json
    assert len(reply.json["flavor"]["id"]) == 36
    assert reply.json["flavor"]["ram"] == 2048
    assert reply.json["flavor"]["swap"] == ""


def test_non_admin_cannot_create_or_delete(client):
    assert _create(client, headers=ALICE).json["forbidden"]["code"] == 403
    _create(client)
    reply = client.delete("/v2.1/flavors/1", headers=ALICE)
    assert reply.status_code == 403


@pytest.mark.parametrize("clash,message", [
    ({"id": "2"}, "Flavor with name m1.tiny already exists."),
    ({"name": "other"}, "Flavor with ID 1 already exists."),
])
def test_duplicates_conflict(client, clash, message):
    assert _create(client).status_code == 200
    reply = _create(client, **clash)
    assert reply.status_code == 409
    assert reply.json["conflictingRequest"]["message"] == message


@pytest.mark.parametrize("body", [
    {}, {"flavor": {}}, {"flavor": "x"}, [], {"flavor": {**TINY, "ram": 0}},
    {"flavor": {**TINY, "ram": -1}}, {"flavor": {**TINY, "vcpus": "many"}},
    {"flavor": {**TINY, "disk": 2**40}}, {"flavor": {**TINY, "name": ""}},
    {"flavor": {**TINY, "name": " padded "}}, {"flavor": {**TINY, "id": "has/slash"}},
    {"flavor": {**TINY, "rxtx_factor": 0}}, {"flavor": {**TINY, "unknown": 1}},
    {"flavor": {**TINY, "os-flavor-access:is_public": "maybe"}},
    {"flavor": {k: v for k, v in TINY.items() if k != "disk"}},
])
def test_bad_bodies_are_400(client, body):
    reply = client.post("/v2.1/flavors", json=body, headers=ADMIN)
    assert reply.status_code == 400, reply.json
    assert reply.json["badRequest"]["code"] == 400


def test_malformed_json_is_400(client):
    reply = client.post("/v2.1/flavors", data="{not json", headers=ADMIN,
                        content_type="application/json")
    assert reply.status_code == 400
    assert reply.json["badRequest"]["message"] == "Malformed request body"


def test_delete_then_404(client):
    _create(client)
    assert client.delete("/v2.1/flavors/1", headers=ADMIN).status_code == 202
    reply = client.get("/v2.1/flavors/1", headers=ALICE)
    assert reply.status_code == 404
    assert reply.json["itemNotFound"]["message"] == "Flavor 1 could not be found."
    assert client.delete("/v2.1/flavors/1", headers=ADMIN).status_code == 404


def test_private_flavors_hidden_from_tenants(client):
    _create(client)
    _create(client, id="2", name="secret", **{"os-flavor-access:is_public": False})
    ids = [f["id"] for f in client.get("/v2.1/flavors", headers=ALICE).json["flavors"]]
    assert ids == ["1"]
    everything = client.get("/v2.1/flavors?is_public=none", headers=ADMIN).json["flavors"]
    assert [f["id"] for f in everything] == ["1", "2"]


def test_paging_and_filters(client):
    for index in range(1, 4):
        _create(client, id=str(index), name=f"f{index}", ram=512 * index)
    page = client.get("/v2.1/flavors?limit=2", headers=ALICE).json["flavors"]
    assert [f["id"] for f in page] == ["1", "2"]
    page = client.get("/v2.1/flavors?limit=2&marker=2", headers=ALICE).json["flavors"]
    assert [f["id"] for f in page] == ["3"]
    page = client.get("/v2.1/flavors?minRam=1024", headers=ALICE).json["flavors"]
    assert [f["id"] for f in page] == ["2", "3"]


@pytest.mark.parametrize("query", ["limit=x", "limit=-1", "marker=nope", "minRam=big",
                                   "is_public=perhaps"])
def test_bad_query_is_400(client, query):
    reply = client.get(f"/v2.1/flavors?{query}", headers=ADMIN)
    assert reply.status_code == 400, reply.json
    assert "badRequest" in reply.json
