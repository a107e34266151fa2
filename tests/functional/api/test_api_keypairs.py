"""/v2.1/os-keypairs and key_name on server create, over the real API DB."""

from __future__ import annotations

import base64
import hashlib
import struct

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from db.api import instances as api_instances
from tests.functional.api.api_world import ADMIN, ALICE, BOB


def ssh_key(seed: bytes = b"k") -> str:
    kind = b"ssh-ed25519"
    blob = struct.pack(">I", len(kind)) + kind + struct.pack(">I", 32) + \
        hashlib.sha256(seed).digest()
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} me@host"


def v(version: str, headers: dict) -> dict:
    return {**headers, "OpenStack-API-Version": f"compute {version}"}


def _import(client, name="k1", headers=ALICE, version="2.2", **extra):
    body = {"keypair": {"name": name, "public_key": ssh_key(name.encode()), **extra}}
    return client.post("/v2.1/os-keypairs", json=body, headers=v(version, headers))


def test_import_list_show_delete(client):
    reply = _import(client)
    assert reply.status_code == 201, reply.json
    created = reply.json["keypair"]
    blob = base64.b64decode(ssh_key(b"k1").split()[1])
    expected = ":".join(f"{b:02x}" for b in hashlib.md5(blob, usedforsecurity=False).digest())
    assert created == {"name": "k1", "public_key": ssh_key(b"k1"), "fingerprint": expected,
                       "user_id": "alice", "type": "ssh"}

    listed = client.get("/v2.1/os-keypairs", headers=v("2.2", ALICE)).json["keypairs"]
    assert listed == [{"keypair": {"name": "k1", "public_key": ssh_key(b"k1"),
                                   "fingerprint": expected, "type": "ssh"}}]
    shown = client.get("/v2.1/os-keypairs/k1", headers=ALICE).json["keypair"]
    assert shown["user_id"] == "alice" and shown["deleted"] is False and "type" not in shown
    assert client.delete("/v2.1/os-keypairs/k1", headers=v("2.2", ALICE)).status_code == 204
    assert client.get("/v2.1/os-keypairs/k1", headers=ALICE).status_code == 404


def test_microversion_2_1_shapes(client):
    reply = _import(client, version="2.1")
    assert reply.status_code == 200 and "type" not in reply.json["keypair"]
    assert client.delete("/v2.1/os-keypairs/k1", headers=ALICE).status_code == 202


def test_users_never_see_each_others_keys(client):
    _import(client, "mine")
    assert client.get("/v2.1/os-keypairs", headers=BOB).json["keypairs"] == []
    assert client.get("/v2.1/os-keypairs/mine", headers=BOB).status_code == 404
    assert client.delete("/v2.1/os-keypairs/mine", headers=BOB).status_code == 404
    # Bob may use the same name for a key of his own.
    assert _import(client, "mine", headers=BOB).status_code == 201


def test_user_id_is_for_admins_from_2_10(client):
    reply = _import(client, "k", headers=ADMIN, version="2.10", user_id="alice")
    assert reply.status_code == 201 and reply.json["keypair"]["user_id"] == "alice"
    forbidden = _import(client, "k2", headers=BOB, version="2.10", user_id="alice")
    assert forbidden.status_code == 403 and "forbidden" in forbidden.json
    listed = client.get("/v2.1/os-keypairs?user_id=alice", headers=v("2.10", ADMIN))
    assert [k["keypair"]["name"] for k in listed.json["keypairs"]] == ["k"]
    assert client.get("/v2.1/os-keypairs?user_id=alice",
                      headers=v("2.10", BOB)).status_code == 403
    # Before 2.10 the field is unknown.
    assert _import(client, "k3", headers=ADMIN, version="2.9",
                   user_id="alice").status_code == 400


@pytest.mark.parametrize("body", [
    {"keypair": {"name": "bad/name", "public_key": ssh_key()}},
    {"keypair": {"name": "k", "public_key": "ssh-rsa not-base64!"}},
    {"keypair": {"name": "k", "public_key": "ssh-rsa " + base64.b64encode(b"x").decode()}},
    {"keypair": {"name": "k", "public_key": ssh_key(), "type": "pgp"}},
    {"keypair": {"name": "k", "public_key": ssh_key(), "extra": 1}},
    {"keypair": "k"},
])
def test_bad_input_is_400(client, body):
    reply = client.post("/v2.1/os-keypairs", json=body, headers=v("2.2", ALICE))
    assert reply.status_code == 400, reply.json
    assert reply.json["badRequest"]["code"] == 400


def test_x509_pair_is_generated_from_2_2(client):
    """A certificate create without a public key gets a self-signed certificate naming
    the user and project, whose key is the private half in the reply, stored as the
    public key with its SHA-1 fingerprint."""
    reply = client.post("/v2.1/os-keypairs", json={"keypair": {"name": "cert",
                                                              "type": "x509"}},
                        headers=v("2.2", ALICE))
    assert reply.status_code == 201, reply.json
    made = reply.json["keypair"]
    certificate = x509.load_pem_x509_certificate(made["public_key"].encode())
    private = serialization.load_pem_private_key(made["private_key"].encode(), None)
    public_der = serialization.PublicFormat.SubjectPublicKeyInfo
    assert (private.public_key().public_bytes(serialization.Encoding.DER, public_der)
            == certificate.public_key().public_bytes(serialization.Encoding.DER,
                                                     public_der))
    names = certificate.subject
    assert names.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "alice"
    assert names.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "project-a"
    usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.CLIENT_AUTH in usage
    assert made["fingerprint"] == ":".join(
        f"{byte:02x}" for byte in certificate.fingerprint(hashes.SHA1()))
    shown = client.get("/v2.1/os-keypairs/cert", headers=v("2.2", ALICE)).json["keypair"]
    assert (shown["type"], shown["public_key"]) == ("x509", made["public_key"])
    assert "private_key" not in shown


def test_no_pair_is_generated_from_2_92(client):
    reply = client.post("/v2.1/os-keypairs", json={"keypair": {"name": "cert",
                                                              "type": "x509"}},
                        headers=v("2.92", ALICE))
    assert reply.status_code == 400 and reply.json["badRequest"]["code"] == 400


def test_duplicate_name_is_409(client):
    _import(client)
    reply = _import(client)
    assert reply.status_code == 409 and "conflictingRequest" in reply.json


def test_quota_of_key_pairs(client):
    client.put("/v2.1/os-quota-sets/project-a", json={"quota_set": {"key_pairs": 1}},
               headers=ADMIN)
    assert _import(client, "a").status_code == 201
    reply = _import(client, "b")
    assert reply.status_code == 403 and "Quota exceeded" in reply.json["forbidden"]["message"]


def test_paging_from_2_35(client):
    for name in ("a", "b", "c"):
        _import(client, name)
    page = client.get("/v2.1/os-keypairs?limit=2", headers=v("2.35", ALICE)).json
    assert [k["keypair"]["name"] for k in page["keypairs"]] == ["a", "b"]
    assert "marker=b" in page["keypairs_links"][0]["href"]
    rest = client.get("/v2.1/os-keypairs?limit=2&marker=b", headers=v("2.35", ALICE)).json
    assert [k["keypair"]["name"] for k in rest["keypairs"]] == ["c"]


def test_server_create_takes_key_name(client, world):
    world.flavor()
    image = world.image()
    _import(client, "boot")
    body = {"server": {"name": "s", "flavorRef": "1", "imageRef": image.uuid,
                       "key_name": "nope"}}
    reply = client.post("/v2.1/servers", json=body, headers=ALICE)
    assert reply.status_code == 400 and "key_name" in reply.json["badRequest"]["message"]
    body["server"]["key_name"] = "boot"
    reply = client.post("/v2.1/servers", json=body, headers=ALICE)
    assert reply.status_code == 202, reply.json
    server_id = reply.json["server"]["id"]
    spec = api_instances.get_build(world.api_db, server_id).spec
    assert spec["key_name"] == "boot" and spec["key_data"] == ssh_key(b"boot")
    shown = client.get(f"/v2.1/servers/{server_id}", headers=ALICE).json["server"]
    assert shown["key_name"] == "boot"
    # Bob cannot boot with Alice's key.
    body["server"]["key_name"] = "boot"
    assert client.post("/v2.1/servers", json=body, headers=BOB).status_code == 400
