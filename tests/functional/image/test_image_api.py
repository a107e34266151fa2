"""The image API end to end: HTTP in, MariaDB and files in a directory behind."""

from __future__ import annotations

import hashlib
import os
import threading
import time
import uuid

import pytest

MAX_IMAGE_SIZE = 64 * 1024


@pytest.fixture
def alice(caller):
    return caller("alice:alpha")


@pytest.fixture
def bob(caller):
    return caller("bob:beta")


@pytest.fixture
def admin(caller):
    return caller("admin")


def test_versions_are_public_and_v2_is_current(caller):
    anonymous = caller(None)
    root = anonymous("GET", "/")
    assert root.status_code == 300
    versions = anonymous("GET", "/versions").json()["versions"]
    current = [v for v in versions if v["status"] == "CURRENT"]
    assert [v["id"] for v in current] == ["v2.16"]
    assert current[0]["links"][0]["href"].endswith("/v2/")


def test_requests_without_token_are_401(caller):
    reply = caller(None)("GET", "/v2/images")
    assert reply.status_code == 401
    assert reply.json()["title"] == "Unauthorized"


def test_create_upload_download_roundtrip(alice, store_dir):
    data = os.urandom(20000)
    image = alice.create(name="cirros", min_ram=64, tags=["base"], hypervisor_type="qemu")
    assert image["status"] == "queued"
    assert image["owner"] == "alpha" and image["visibility"] == "shared"
    assert image["hypervisor_type"] == "qemu" and image["tags"] == ["base"]
    assert image["file"] == f"/v2/images/{image['id']}/file"
    assert alice("GET", f"/v2/images/{image['id']}/file").status_code == 204

    assert alice.upload(image["id"], data).status_code == 204

    shown = alice("GET", f"/v2/images/{image['id']}").json()
    assert shown["status"] == "active"
    assert shown["size"] == len(data)
    assert shown["checksum"] == hashlib.md5(data).hexdigest()
    assert shown["os_hash_algo"] == "sha512"
    assert shown["os_hash_value"] == hashlib.sha512(data).hexdigest()
    download = alice("GET", f"/v2/images/{image['id']}/file")
    assert download.status_code == 200
    assert download.content == data
    assert download.headers["Content-MD5"] == shown["checksum"]
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert sorted(os.listdir(store_dir)) == [image["id"]]


def test_chunked_upload_streams(alice):
    chunks = [os.urandom(1000) for _ in range(10)]
    image = alice.create(name="streamed")
    assert alice.upload(image["id"], iter(chunks)).status_code == 204
    assert alice("GET", f"/v2/images/{image['id']}/file").content == b"".join(chunks)


def test_create_with_id_and_duplicate(alice):
    image_id = str(uuid.uuid4())
    assert alice.create(id=image_id.upper())["id"] == image_id
    again = alice("POST", "/v2/images", json={"id": image_id})
    assert again.status_code == 409
    assert image_id in again.json()["message"]


@pytest.mark.parametrize("body, status", [
    ({"status": "active"}, 403),
    ({"checksum": "abc"}, 403),
    ({"size": 10}, 403),
    ({"min_ram": -1}, 400),
    ({"min_disk": "ten"}, 400),
    ({"disk_format": "floppy"}, 400),
    ({"visibility": "everyone"}, 400),
    ({"name": "x" * 256}, 400),
    ({"id": "not-a-uuid"}, 400),
    ({"tags": "one"}, 400),
    ({"custom": 5}, 400),
    ({"protected": "yes"}, 400),
    (["not", "an", "object"], 400),
])
def test_bad_create_bodies(alice, body, status):
    reply = alice("POST", "/v2/images", json=body)
    assert reply.status_code == status, reply.text
    assert reply.json()["code"].startswith(str(status))


def test_malformed_json_is_400(alice):
    reply = alice("POST", "/v2/images", data=b"{nope",
                  headers={"Content-Type": "application/json"})
    assert reply.status_code == 400


def test_upload_to_active_image_is_409(alice):
    image = alice.create()
    assert alice.upload(image["id"], b"first").status_code == 204
    again = alice.upload(image["id"], b"second")
    assert again.status_code == 409
    assert alice("GET", f"/v2/images/{image['id']}/file").content == b"first"


def test_upload_over_the_limit_is_413_and_image_stays_queued(alice, store_dir):
    image = alice.create()
    declared = alice.upload(image["id"], b"x" * (MAX_IMAGE_SIZE + 1))
    assert declared.status_code == 413
    streamed = alice.upload(image["id"], iter([b"y" * 40000, b"y" * 40000]))
    assert streamed.status_code == 413
    assert alice("GET", f"/v2/images/{image['id']}").json()["status"] == "queued"
    assert not store_dir.exists() or os.listdir(store_dir) == []
    assert alice.upload(image["id"], b"fits").status_code == 204


def test_upload_needs_formats_and_octet_stream(alice):
    image = alice.create(disk_format=None, container_format=None)
    assert alice.upload(image["id"], b"data").status_code == 400
    formatted = alice.create()
    wrong_type = alice("PUT", f"/v2/images/{formatted['id']}/file", data=b"data",
                       headers={"Content-Type": "text/plain"})
    assert wrong_type.status_code == 415


def test_concurrent_uploads_one_wins(alice, caller):
    image = alice.create()
    other = caller("alice:alpha")
    release = threading.Event()
    first_result = {}

    def slow_body():
        yield b"a" * 1000
        release.wait(30)
        yield b"b" * 1000

    def first_upload():
        first_result["reply"] = alice.upload(image["id"], slow_body())

    thread = threading.Thread(target=first_upload)
    thread.start()
    try:
        _wait_for_status(other, image["id"], "saving")
        second = other.upload(image["id"], b"c" * 10)
        assert second.status_code == 409
    finally:
        release.set()
        thread.join()
    assert first_result["reply"].status_code == 204
    content = alice("GET", f"/v2/images/{image['id']}/file").content
    assert content == b"a" * 1000 + b"b" * 1000


def _wait_for_status(client, image_id: str, status: str) -> None:
    deadline = time.monotonic() + 30
    while client("GET", f"/v2/images/{image_id}").json()["status"] != status:
        assert time.monotonic() < deadline, f"image never became {status}"
        time.sleep(0.02)


def test_unknown_image_is_404(alice):
    for path in ("/v2/images/cirros", f"/v2/images/{uuid.uuid4()}",
                 f"/v2/images/{uuid.uuid4()}/file"):
        reply = alice("GET", path)
        assert reply.status_code == 404
        assert reply.json()["title"] == "Not Found"
    assert alice("DELETE", f"/v2/images/{uuid.uuid4()}").status_code == 404
    assert alice("GET", "/v2/nothing").status_code == 404
    assert alice("POST", "/v2/schemas/image").status_code == 405


def test_schemas_are_served(alice):
    image = alice("GET", "/v2/schemas/image").json()
    assert image["name"] == "image"
    assert image["properties"]["status"]["readOnly"] is True
    assert alice("GET", "/v2/schemas/images").json()["name"] == "images"


def test_visibility_and_ownership(alice, bob, admin):
    shared = alice.create(name="alice-shared")
    private = alice.create(name="alice-private", visibility="private")
    community = alice.create(name="alice-community", visibility="community")
    public = admin.create(name="everyone", visibility="public")

    assert bob("GET", f"/v2/images/{private['id']}").status_code == 404
    assert bob("GET", f"/v2/images/{shared['id']}").status_code == 404
    assert bob("GET", f"/v2/images/{community['id']}").status_code == 200
    assert bob("GET", f"/v2/images/{public['id']}").status_code == 200
    assert _names(bob("GET", "/v2/images")) == {"everyone"}
    assert _names(bob("GET", "/v2/images", params={"visibility": "community"})) == {
        "alice-community"}
    assert _names(alice("GET", "/v2/images")) == {
        "alice-shared", "alice-private", "alice-community", "everyone"}
    assert len(admin("GET", "/v2/images").json()["images"]) == 4

    assert bob("DELETE", f"/v2/images/{public['id']}").status_code == 403
    assert bob.patch(community["id"], [{"op": "replace", "path": "/name",
                                        "value": "mine"}]).status_code == 403
    assert bob.upload(community["id"], b"data").status_code == 403
    assert bob("PUT", f"/v2/images/{community['id']}/tags/x").status_code == 403
    assert admin("DELETE", f"/v2/images/{private['id']}").status_code == 204


def test_only_admin_makes_images_public(alice, admin):
    refused = alice("POST", "/v2/images", json={"visibility": "public"})
    assert refused.status_code == 403
    image = alice.create()
    publish = [{"op": "replace", "path": "/visibility", "value": "public"}]
    assert alice.patch(image["id"], publish).status_code == 403
    assert admin.patch(image["id"], publish).json()["visibility"] == "public"
    assert alice("POST", "/v2/images", json={"owner": "beta"}).status_code == 403


def _names(reply) -> set[str]:
    assert reply.status_code == 200, reply.text
    return {image["name"] for image in reply.json()["images"]}


def test_list_filters(alice, admin):
    small = alice.create(name="small", tags=["linux", "tiny"])
    alice.upload(small["id"], b"s" * 10)
    big = alice.create(name="big", tags=["linux"], visibility="private", protected=True)
    alice.upload(big["id"], b"b" * 1000)
    alice.create(name="empty", os_hidden=False)
    hidden = alice.create(name="hidden", os_hidden=True)

    def names(**params):
        return _names(alice("GET", "/v2/images", params=params))

    assert names() == {"small", "big", "empty"}
    assert names(os_hidden="true") == {"hidden"}
    assert names(name="big") == {"big"}
    assert names(status="queued") == {"empty"}
    assert names(visibility="private") == {"big"}
    assert names(protected="true") == {"big"}
    assert names(tag="linux") == {"small", "big"}
    assert _names(alice("GET", "/v2/images?tag=linux&tag=tiny")) == {"small"}
    assert names(size_min="100") == {"big"}
    assert names(size_max="100") == {"small"}
    assert names(owner="alpha") == {"small", "big", "empty"}
    assert names(owner="beta") == set()
    assert names(id=f"in:{small['id']},{big['id']}") == {"small", "big"}
    assert names(id=small["id"]) == {"small"}
    assert names(name="in:big,empty") == {"big", "empty"}
    assert names(status="in:active,queued") == {"small", "big", "empty"}
    assert admin("GET", f"/v2/images/{hidden['id']}").json()["os_hidden"] is True
    for bad in ({"protected": "maybe"}, {"size_min": "-1"}, {"limit": "x"},
                {"visibility": "nobody"}, {"sort_key": "checksum"},
                {"sort_dir": "sideways"}, {"marker": "nope"}, {"color": "red"},
                {"marker": str(uuid.uuid4())}):
        assert alice("GET", "/v2/images", params=bad).status_code == 400, bad


def test_paging_and_sorting(alice):
    created = [alice.create(name=f"img-{i:02d}", min_disk=i % 3) for i in range(7)]
    newest_first = [image["id"] for image in reversed(created)]

    seen, path = [], "/v2/images?limit=3"
    while path:
        body = alice("GET", path).json()
        assert len(body["images"]) <= 3
        seen += [image["id"] for image in body["images"]]
        path = body.get("next")
    assert seen == newest_first

    by_name = alice("GET", "/v2/images", params={"sort_key": "name", "sort_dir": "asc"})
    assert [i["name"] for i in by_name.json()["images"]] == [f"img-{i:02d}" for i in range(7)]
    paged, marker = [], None
    while True:
        params = {"sort": "min_disk:asc,name:desc", "limit": 2}
        if marker:
            params["marker"] = marker
        body = alice("GET", "/v2/images", params=params).json()
        paged += [(i["min_disk"], i["name"]) for i in body["images"]]
        if "next" not in body:
            break
        marker = body["images"][-1]["id"]
    expected = sorted(((i % 3, f"img-{i:02d}") for i in range(7)),
                      key=lambda pair: (pair[0], [-ord(c) for c in pair[1]]))
    assert paged == expected


def test_patch(alice):
    image = alice.create(name="before", min_ram=1, tags=["a"], color="blue")
    reply = alice.patch(image["id"], [
        {"op": "replace", "path": "/name", "value": "after"},
        {"op": "replace", "path": "/min_disk", "value": 5},
        {"op": "add", "path": "/min_ram", "value": 128},
        {"op": "add", "path": "/os_distro", "value": "cirros"},
        {"op": "remove", "path": "/color"},
        {"op": "replace", "path": "/tags", "value": ["x", "y"]},
        {"op": "replace", "path": "/protected", "value": True},
    ])
    assert reply.status_code == 200, reply.text
    patched = reply.json()
    assert (patched["name"], patched["min_disk"], patched["min_ram"]) == ("after", 5, 128)
    assert patched["os_distro"] == "cirros" and "color" not in patched
    assert patched["tags"] == ["x", "y"] and patched["protected"] is True
    assert alice("GET", f"/v2/images/{image['id']}").json() == patched
    assert alice("DELETE", f"/v2/images/{image['id']}").status_code == 403
    alice.patch(image["id"], [{"op": "replace", "path": "/protected", "value": False}])
    assert alice("DELETE", f"/v2/images/{image['id']}").status_code == 204
    assert alice("GET", f"/v2/images/{image['id']}").status_code == 404


@pytest.mark.parametrize("ops, status", [
    ([{"op": "replace", "path": "/status", "value": "active"}], 403),
    ([{"op": "replace", "path": "/id", "value": str(uuid.uuid4())}], 403),
    ([{"op": "remove", "path": "/name"}], 403),
    ([{"op": "replace", "path": "/missing", "value": "x"}], 409),
    ([{"op": "remove", "path": "/missing"}], 409),
    ([{"op": "add", "path": "/color", "value": "red"}], 409),
    ([{"op": "replace", "path": "/min_ram", "value": "lots"}], 400),
    ([{"op": "add", "path": "/extra", "value": 3}], 400),
    ([{"op": "move", "path": "/name", "from": "/color"}], 400),
    ([{"op": "add", "path": "name", "value": "x"}], 400),
    ([{"op": "add", "path": "/tags/0", "value": "x"}], 400),
    ([{"op": "add", "path": "/name"}], 400),
    ({"op": "add", "path": "/name", "value": "x"}, 400),
])
def test_bad_patches(alice, ops, status):
    image = alice.create(color="blue")
    reply = alice.patch(image["id"], ops)
    assert reply.status_code == status, reply.text
    assert alice("GET", f"/v2/images/{image['id']}").json()["color"] == "blue"


def test_patch_needs_patch_media_type(alice):
    image = alice.create()
    reply = alice("PATCH", f"/v2/images/{image['id']}",
                  json=[{"op": "replace", "path": "/name", "value": "x"}])
    assert reply.status_code == 415


def test_formats_fixed_once_active(alice):
    image = alice.create()
    alice.upload(image["id"], b"data")
    reply = alice.patch(image["id"], [{"op": "replace", "path": "/disk_format",
                                       "value": "raw"}])
    assert reply.status_code == 403


def test_tags(alice):
    image = alice.create(tags=["one"])
    assert alice("PUT", f"/v2/images/{image['id']}/tags/two").status_code == 204
    assert alice("PUT", f"/v2/images/{image['id']}/tags/two").status_code == 204
    assert alice("GET", f"/v2/images/{image['id']}").json()["tags"] == ["one", "two"]
    assert alice("DELETE", f"/v2/images/{image['id']}/tags/one").status_code == 204
    assert alice("DELETE", f"/v2/images/{image['id']}/tags/one").status_code == 404
    assert alice("GET", f"/v2/images/{image['id']}").json()["tags"] == ["two"]
    assert alice("PUT", f"/v2/images/{uuid.uuid4()}/tags/x").status_code == 404


def test_delete_removes_data(alice, store_dir):
    image = alice.create()
    alice.upload(image["id"], b"bytes")
    assert (store_dir / image["id"]).exists()
    assert alice("DELETE", f"/v2/images/{image['id']}").status_code == 204
    assert not (store_dir / image["id"]).exists()
    assert alice("GET", f"/v2/images/{image['id']}/file").status_code == 404
