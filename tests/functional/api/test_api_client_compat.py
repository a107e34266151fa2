"""What the OpenStack clients send or ask beyond the compute API proper: the noauth2
identity stub and the image mapping openstackclient adds to a server create."""

from __future__ import annotations

import pytest

from api_cell.api.app import create_app
from db.api import instances as api_instances
from tests.functional.api.api_world import ADMIN, ALICE, make_conf


def test_identity_version_document_is_public_and_names_v3(client):
    reply = client.get("/identity/v3")
    assert reply.status_code == 200
    version = reply.json["version"]
    assert version["id"].startswith("v3.") and version["status"] == "stable"
    assert version["links"][0]["href"].endswith("/identity/v3/")


def test_a_member_sees_its_own_project_named_as_its_id(client):
    reply = client.get("/identity/v3/projects/project-a", headers=ALICE)
    assert reply.status_code == 200, reply.json
    project = reply.json["project"]
    assert (project["id"], project["name"], project["domain_id"]) == (
        "project-a", "project-a", "default")


def test_a_member_may_not_look_at_another_project(client):
    reply = client.get("/identity/v3/projects/project-b", headers=ALICE)
    assert reply.status_code == 403
    assert reply.json["forbidden"]["code"] == 403


def test_only_an_admin_lists_projects_and_a_name_finds_one(client):
    assert client.get("/identity/v3/projects?name=project-a",
                      headers=ALICE).status_code == 403
    reply = client.get("/identity/v3/projects?name=project-b", headers=ADMIN)
    assert reply.status_code == 200
    assert [p["id"] for p in reply.json["projects"]] == ["project-b"]


def test_identity_needs_a_token_beyond_the_version_document(client):
    reply = client.get("/identity/v3/projects/project-a")
    assert reply.status_code == 401


def test_no_identity_stub_when_keystone_authenticates(world):
    conf = make_conf(world.api_db, world.redis_url, world.redis_prefix)
    conf.set_override("auth_strategy", "keystone", group="api")
    app = create_app(conf)
    try:
        reply = app.test_client().get("/identity/v3")
    finally:
        app.extensions["cellar"]["backends"].pool.shutdown(wait=True)
    assert reply.status_code == 404
    assert reply.json["itemNotFound"]["code"] == 404


@pytest.fixture
def image(world):
    world.flavor()
    return world.image()


def _boot(client, image_id, mappings):
    return client.post("/v2.1/servers", headers=ALICE, json={"server": {
        "name": "osc", "flavorRef": "1", "imageRef": image_id,
        "block_device_mapping_v2": mappings}})


def test_openstackclients_image_mapping_is_the_image_ref(client, world, image):
    reply = _boot(client, image.uuid, [{
        "uuid": image.uuid, "boot_index": 0, "source_type": "image",
        "destination_type": "local", "delete_on_termination": True}])
    assert reply.status_code == 202, reply.json
    build = api_instances.get_build(world.api_db, reply.json["server"]["id"])
    assert build.instance["image_ref"] == image.uuid


@pytest.mark.parametrize("mapping", [
    {"uuid": "9e3a0c87-3d4e-4a49-9c53-1c7c1e8e4a11", "source_type": "image"},
    {"source_type": "volume", "destination_type": "volume", "boot_index": 0},
    {"source_type": "image", "destination_type": "local", "boot_index": 1},
    {"source_type": "image", "destination_type": "local", "volume_size": 10},
])
def test_any_other_mapping_is_refused(client, image, mapping):
    reply = _boot(client, image.uuid, [{"uuid": image.uuid, **mapping}])
    assert reply.status_code == 400
    assert reply.json["badRequest"]["code"] == 400


def test_a_keypair_without_public_key_is_made_and_only_the_public_half_kept(client):
    reply = client.post("/v2.1/os-keypairs", json={"keypair": {"name": "made"}},
                        headers={**ALICE, "OpenStack-API-Version": "compute 2.2"})
    assert reply.status_code == 201, reply.json
    made = reply.json["keypair"]
    assert made["private_key"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert made["public_key"].startswith("ssh-ed25519 ") and made["type"] == "ssh"
    shown = client.get("/v2.1/os-keypairs/made", headers=ALICE).json["keypair"]
    assert (shown["public_key"], shown["fingerprint"]) == (made["public_key"],
                                                           made["fingerprint"])
    assert "private_key" not in shown


def test_an_imported_keypair_has_no_private_key_in_the_reply(client):
    first = client.post("/v2.1/os-keypairs", json={"keypair": {"name": "made"}},
                        headers=ALICE).json["keypair"]
    reply = client.post("/v2.1/os-keypairs", headers=ALICE, json={"keypair": {
        "name": "again", "public_key": first["public_key"]}})
    assert reply.status_code == 200, reply.json
    assert "private_key" not in reply.json["keypair"]
    assert reply.json["keypair"]["fingerprint"] == first["fingerprint"]
