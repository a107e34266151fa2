"""Both APIs with ``[api] auth_strategy = keystone`` against a real Keystone.

keystonemiddleware in front of each app validates every token over HTTP with the
Keystone of the ``keystone`` fixture; the tokens come from that Keystone too.
"""

from __future__ import annotations

import base64
import hashlib
import struct

import pytest

from tests.functional.api.api_world import World

COMPUTE_LATEST = {"OpenStack-API-Version": "compute 2.10"}
PLACEMENT_LATEST = {"OpenStack-API-Version": "placement latest"}


def _as(tokens: dict[str, str], account: str, **headers: str) -> dict[str, str]:
    return {"X-Auth-Token": tokens[account], **headers}


def _ssh_key(seed: bytes) -> str:
    kind = b"ssh-ed25519"
    blob = struct.pack(">I", len(kind)) + kind + struct.pack(">I", 32) + \
        hashlib.sha256(seed).digest()
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} me@host"


def _server_ids(reply) -> list[str]:
    assert reply.status_code == 200, reply.json
    return [server["id"] for server in reply.json["servers"]]


@pytest.fixture
def servers(keystone, keystone_world: World) -> dict[str, str]:
    """One server of project demo (in cell1) and one of project alt (in cell2)."""
    demo, alt = keystone.accounts["demo-member"], keystone.accounts["alt-member"]
    return {"demo": keystone_world.instance("cell1", project_id=demo.project_id,
                                            user_id=demo.user_id),
            "alt": keystone_world.instance("cell2", project_id=alt.project_id,
                                           user_id=alt.user_id)}


# --- compute API -------------------------------------------------------------------


@pytest.mark.parametrize(("path", "status"), [("/", 300), ("/v2.1", 200)])
def test_compute_version_documents_need_no_token(keystone_compute, path, status):
    assert keystone_compute.get(path).status_code == status
    assert keystone_compute.get(path, headers={"X-Auth-Token": "garbage"}).status_code == \
        status


@pytest.mark.parametrize("headers", [{}, {"X-Auth-Token": "garbage"},
                                     {"X-Auth-Token": "demo-member:demo"}])
def test_compute_without_a_valid_token_is_401_in_nova_format(keystone, keystone_compute,
                                                               headers):
    reply = keystone_compute.get("/v2.1/servers", headers=headers)
    assert reply.status_code == 401
    assert reply.json["unauthorized"]["code"] == 401
    assert reply.headers["WWW-Authenticate"] == f'Keystone uri="{keystone.url}"'
    assert reply.headers["x-openstack-request-id"].startswith("req-")


def test_compute_member_sees_its_project_only(keystone_compute, tokens, servers):
    demo = _as(tokens, "demo-member")
    assert _server_ids(keystone_compute.get("/v2.1/servers", headers=demo)) == [servers["demo"]]
    assert keystone_compute.get(f"/v2.1/servers/{servers['demo']}",
                                headers=demo).status_code == 200
    assert keystone_compute.get(f"/v2.1/servers/{servers['alt']}",
                                headers=demo).status_code == 404
    assert keystone_compute.delete(f"/v2.1/servers/{servers['alt']}",
                                   headers=demo).status_code == 404
    alt = _as(tokens, "alt-member")
    assert _server_ids(keystone_compute.get("/v2.1/servers/detail", headers=alt)) == \
        [servers["alt"]]
    # all_tenants is for administrators only, as in Nova.
    refused = keystone_compute.get("/v2.1/servers?all_tenants=1", headers=alt)
    assert refused.status_code == 403 and "forbidden" in refused.json


def test_compute_admin_sees_every_project(keystone_compute, tokens, servers):
    listed = keystone_compute.get("/v2.1/servers?all_tenants=1", headers=_as(tokens, "admin"))
    assert sorted(_server_ids(listed)) == sorted(servers.values())


def test_compute_reader_reads_but_does_not_write(keystone_compute, tokens, servers):
    reader = _as(tokens, "demo-reader")
    assert _server_ids(keystone_compute.get("/v2.1/servers", headers=reader)) == \
        [servers["demo"]]
    assert keystone_compute.get(f"/v2.1/servers/{servers['demo']}",
                                headers=reader).status_code == 200
    refused = keystone_compute.delete(f"/v2.1/servers/{servers['demo']}", headers=reader)
    assert refused.status_code == 403 and refused.json["forbidden"]["code"] == 403
    group = {"server_group": {"name": "g1", "policies": ["affinity"]}}
    refused = keystone_compute.post("/v2.1/os-server-groups", json=group, headers=reader)
    assert refused.status_code == 403 and "forbidden" in refused.json
    created = keystone_compute.post("/v2.1/os-server-groups", json=group,
                                    headers=_as(tokens, "demo-member"))
    assert created.status_code == 200
    listed = keystone_compute.get("/v2.1/os-server-groups", headers=reader)
    assert [g["id"] for g in listed.json["server_groups"]] == \
        [created.json["server_group"]["id"]]


def test_compute_admin_only_apis(keystone_compute, tokens):
    for account in ("demo-member", "demo-reader"):
        refused = keystone_compute.get("/v2.1/os-services", headers=_as(tokens, account))
        assert refused.status_code == 403 and "forbidden" in refused.json
    assert keystone_compute.get("/v2.1/os-services",
                                headers=_as(tokens, "admin")).status_code == 200


def test_compute_keypairs_stay_with_their_user(keystone, keystone_compute, tokens):
    demo = _as(tokens, "demo-member", **COMPUTE_LATEST)
    body = {"keypair": {"name": "k1", "public_key": _ssh_key(b"k1")}}
    assert keystone_compute.post("/v2.1/os-keypairs", json=body,
                                 headers=demo).status_code == 201
    listed = keystone_compute.get("/v2.1/os-keypairs", headers=demo).json["keypairs"]
    assert [k["keypair"]["name"] for k in listed] == ["k1"]
    alt = _as(tokens, "alt-member", **COMPUTE_LATEST)
    assert keystone_compute.get("/v2.1/os-keypairs", headers=alt).json["keypairs"] == []
    assert keystone_compute.get("/v2.1/os-keypairs/k1", headers=alt).status_code == 404
    owner = keystone.accounts["demo-member"].user_id
    assert keystone_compute.get(f"/v2.1/os-keypairs?user_id={owner}",
                                headers=alt).status_code == 403
    admin = _as(tokens, "admin", **COMPUTE_LATEST)
    listed = keystone_compute.get(f"/v2.1/os-keypairs?user_id={owner}", headers=admin)
    assert [k["keypair"]["name"] for k in listed.json["keypairs"]] == ["k1"]


# --- placement API -----------------------------------------------------------------


def test_placement_root_needs_no_token(keystone_placement):
    assert keystone_placement.get("/").status_code == 200


@pytest.mark.parametrize("headers", [{}, {"X-Auth-Token": "garbage"},
                                     {"X-Auth-Token": "admin"}])
def test_placement_without_a_valid_token_is_401_in_placement_format(
        keystone, keystone_placement, headers):
    reply = keystone_placement.get("/resource_providers", headers=headers)
    assert reply.status_code == 401
    [error] = reply.json["errors"]
    assert error["status"] == 401 and error["request_id"].startswith("req-")
    assert reply.headers["WWW-Authenticate"] == f'Keystone uri="{keystone.url}"'


def test_placement_providers_are_for_admins_and_services(keystone_placement, tokens):
    body = {"name": "rp1"}
    for account in ("demo-member", "demo-reader"):
        refused = keystone_placement.post("/resource_providers", json=body,
                                          headers=_as(tokens, account, **PLACEMENT_LATEST))
        assert refused.status_code == 403
        assert refused.json["errors"][0]["status"] == 403
    created = keystone_placement.post("/resource_providers", json=body,
                                      headers=_as(tokens, "admin", **PLACEMENT_LATEST))
    assert created.status_code == 200
    listed = keystone_placement.get("/resource_providers",
                                    headers=_as(tokens, "cellar", **PLACEMENT_LATEST))
    assert [rp["name"] for rp in listed.json["resource_providers"]] == ["rp1"]


def test_placement_reader_sees_usages_of_its_own_project(keystone, keystone_placement,
                                                         tokens):
    reader = _as(tokens, "demo-reader", **{"OpenStack-API-Version": "placement 1.9"})
    demo, alt = keystone.accounts["demo-reader"], keystone.accounts["alt-member"]
    own = keystone_placement.get(f"/usages?project_id={demo.project_id}", headers=reader)
    assert own.status_code == 200 and own.json["usages"] == {}
    other = keystone_placement.get(f"/usages?project_id={alt.project_id}", headers=reader)
    assert other.status_code == 403
