"""Pure parts of keypairs, server groups, instance actions and the server view."""

from __future__ import annotations

import base64
import datetime
import struct

import pytest

from api_cell.api import errors, validation
from api_cell.api.domain import keypairs, records
from api_cell.api.schemas import keypairs as keypair_schemas
from api_cell.api.schemas import server_groups as group_schemas
from api_cell.api.schemas import server_metadata as metadata_schemas
from api_cell.api.views import instance_actions as action_view
from api_cell.api.views import keypairs as keypair_view
from api_cell.api.views import server_groups as group_view
from api_cell.api.views import servers as server_view
from db.api.keypairs import KeyPairRecord
from db.api.server_groups import GroupRecord
from db.cell.actions import Action, Event

MOMENT = datetime.datetime(2024, 1, 2, 3, 4, 5)


def _ssh(kind: str = "ssh-rsa", claimed: str | None = None) -> str:
    blob = struct.pack(">I", len(kind)) + kind.encode() + b"\x00\x00\x00\x01\x23"
    return f"{claimed or kind} {base64.b64encode(blob).decode()} comment"


def test_ssh_fingerprint_is_md5_of_the_blob():
    printed = keypairs.ssh_fingerprint(_ssh())
    assert len(printed.split(":")) == 16


@pytest.mark.parametrize("text", ["", "ssh-rsa", "ssh-foo AAAA", "ssh-rsa !!!",
                                  _ssh("ssh-rsa", claimed="ssh-ed25519")])
def test_bad_ssh_keys_are_400(text):
    with pytest.raises(errors.BadRequest):
        keypairs.ssh_fingerprint(text)


def test_x509_fingerprint_is_sha1_of_der():
    der = b"\x30\x03\x02\x01\x01"
    pem = ("-----BEGIN CERTIFICATE-----\n" + base64.b64encode(der).decode() +
           "\n-----END CERTIFICATE-----\n")
    assert len(keypairs.x509_fingerprint(pem).split(":")) == 20
    with pytest.raises(errors.BadRequest):
        keypairs.x509_fingerprint("not a certificate")


def test_keypair_schema_grows_with_microversions():
    body = {"keypair": {"name": "k", "public_key": "x", "type": "ssh"}}
    with pytest.raises(errors.BadRequest):
        validation.validate(keypair_schemas.create(False, False), body)
    validation.validate(keypair_schemas.create(True, False), body)
    body["keypair"]["user_id"] = "u"
    with pytest.raises(errors.BadRequest):
        validation.validate(keypair_schemas.create(True, False), body)
    validation.validate(keypair_schemas.create(True, True), body)


def test_keypair_views():
    key = KeyPairRecord(3, "k", "u", "p", "aa:bb", "ssh-rsa AAA", "ssh", MOMENT, None)
    assert keypair_view.summary(key, False) == {"keypair": {
        "name": "k", "public_key": "ssh-rsa AAA", "fingerprint": "aa:bb"}}
    detail = keypair_view.detail(key, True)
    assert detail["type"] == "ssh" and detail["id"] == 3 and detail["deleted"] is False
    assert detail["created_at"] == "2024-01-02T03:04:05.000000"


def test_group_schema_and_view_by_microversion():
    old = {"server_group": {"name": "g", "policies": ["soft-affinity"]}}
    with pytest.raises(errors.BadRequest):
        validation.validate(group_schemas.create(False, False), old)
    validation.validate(group_schemas.create(True, False), old)
    with pytest.raises(errors.BadRequest):
        validation.validate(group_schemas.create(True, True), old)
    group = GroupRecord("g-1", "g", "p", "u", "anti-affinity", {"max_server_per_host": 3},
                        ["i-1"], MOMENT)
    assert group_view.show(group, False, False) == {
        "id": "g-1", "name": "g", "members": ["i-1"], "policies": ["anti-affinity"],
        "metadata": {}}
    assert group_view.show(group, True, True) == {
        "id": "g-1", "name": "g", "members": ["i-1"], "policy": "anti-affinity",
        "rules": {"max_server_per_host": 3}, "project_id": "p", "user_id": "u"}


@pytest.mark.parametrize("tag,ok", [("blue", True), ("a,b", False), ("a/b", False),
                                    ("x" * 61, False), ("", False)])
def test_tag_schema(tag, ok):
    if ok:
        validation.validate(metadata_schemas.TAG, tag)
    else:
        with pytest.raises(errors.BadRequest):
            validation.validate(metadata_schemas.TAG, tag)


def test_action_event_view_hides_details_from_tenants():
    event = Event("compute_stop", "h1", MOMENT, MOMENT, "Success", "tb")
    tenant = action_view.event(event, "p", details=False, with_host=True)
    assert "traceback" not in tenant and "host" not in tenant and tenant["hostId"]
    admin = action_view.event(event, "p", details=True, with_host=True)
    assert admin["host"] == "h1" and admin["traceback"] == "tb"
    action = Action("i", "stop", "r", "u", "p", MOMENT, None, None, MOMENT, [event])
    assert "updated_at" not in action_view.action(action, False)
    assert action_view.action(action, True)["updated_at"] == "2024-01-02T03:04:05.000000"


def test_server_view_by_microversion():
    server = records.Server(uuid="u-1", name="Web 1", project_id="p", user_id="u",
                            vm_state="active", task_state=None, power_state=1,
                            flavor={"id": "1"}, image_ref="img", metadata={},
                            availability_zone=None, host="h1", node="h1",
                            created_at=MOMENT, updated_at=None, key_name="k")
    old = server_view.detail(server, "http://x/", show_host=True)
    assert old["key_name"] == "k" and "locked" not in old
    assert "OS-EXT-SRV-ATTR:hostname" not in old
    new = server_view.detail(server, "http://x/", show_host=True, version=(2, 9))
    assert new["locked"] is False and new["OS-EXT-SRV-ATTR:hostname"] == "web-1"
    tenant = server_view.detail(server, "http://x/", show_host=False, version=(2, 9))
    assert "OS-EXT-SRV-ATTR:hostname" not in tenant
