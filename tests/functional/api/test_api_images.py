"""/v2.1/images: the minimal registry."""

from __future__ import annotations

import uuid

import pytest

from tests.functional.api.api_world import ADMIN, ALICE


def test_admin_registers_and_tenants_read(client):
    image_id = str(uuid.uuid4())
    reply = client.post("/v2.1/images", headers=ADMIN, json={"image": {
        "id": image_id, "name": "cirros", "minDisk": 1, "minRam": "64",
        "metadata": {"os_distro": "cirros"}}})
    assert reply.status_code == 200, reply.json
    image = reply.json["image"]
    assert image["id"] == image_id and image["status"] == "ACTIVE"
    assert image["minDisk"] == 1 and image["minRam"] == 64
    assert image["metadata"] == {"os_distro": "cirros"}
    assert client.get(f"/v2.1/images/{image_id}", headers=ALICE).json["image"] == image
    assert client.get("/v2.1/images/detail", headers=ALICE).json["images"] == [image]
    [summary] = client.get("/v2.1/images", headers=ALICE).json["images"]
    assert summary["id"] == image_id and set(summary) == {"id", "name", "links"}


def test_tenants_cannot_register_or_delete(client, world):
    assert client.post("/v2.1/images", headers=ALICE,
                       json={"image": {"name": "x"}}).status_code == 403
    image = world.image()
    assert client.delete(f"/v2.1/images/{image.uuid}", headers=ALICE).status_code == 403


def test_delete(client, world):
    image = world.image()
    assert client.delete(f"/v2.1/images/{image.uuid}", headers=ADMIN).status_code == 204
    reply = client.get(f"/v2.1/images/{image.uuid}", headers=ALICE)
    assert reply.status_code == 404 and "itemNotFound" in reply.json


def test_duplicate_id_conflicts(client, world):
    image = world.image()
    reply = client.post("/v2.1/images", headers=ADMIN, json={"image": {"id": image.uuid}})
    assert reply.status_code == 409 and "conflictingRequest" in reply.json


@pytest.mark.parametrize("body", [
    {"image": {"id": "not-a-uuid"}}, {"image": {"minDisk": -1}}, {"image": {"extra": 1}},
    {"image": {"metadata": {"k": 1}}}, {"image": []}, {"images": {}},
])
def test_bad_bodies_are_400(client, body):
    reply = client.post("/v2.1/images", headers=ADMIN, json=body)
    assert reply.status_code == 400, reply.json
    assert "badRequest" in reply.json
