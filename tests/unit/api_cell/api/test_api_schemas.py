"""Request schemas and validation."""

from __future__ import annotations

import pytest

from api_cell.api import errors, validation
from api_cell.api.schemas import flavors, images, servers

SERVER = {"name": "web", "flavorRef": "1", "imageRef": "abc"}


def _server(**fields):
    return {"server": {**SERVER, **fields}}


@pytest.mark.parametrize("body", [
    _server(), _server(flavorRef=1), _server(metadata={"a.b": "", "c": "d"}),
    _server(min_count=1, max_count=1), _server(networks="auto"),
    _server(networks=[{"uuid": "x"}]), _server(availability_zone="az1"),
])
def test_server_create_accepts(body):
    validation.validate(servers.CREATE, body)


@pytest.mark.parametrize("body", [
    {"server": {"name": "web"}}, _server(name=""), _server(name="\t "),
    _server(name="n" * 256), _server(metadata={"bad/key": "v"}),
    _server(metadata={"k": "v" * 256}), _server(min_count=0), _server(networks="some"),
    _server(extra=True), {"server": SERVER, "other": 1},
])
def test_server_create_rejects(body):
    with pytest.raises(errors.BadRequest) as caught:
        validation.validate(servers.CREATE, body)
    assert caught.value.message.startswith("Invalid input for field/attribute")


def test_coerce_ints_turns_digit_strings_into_integers():
    fields = {"ram": "512", "vcpus": " 2 ", "disk": "x", "name": "7"}
    validation.coerce_ints(fields, flavors.INTEGER_FIELDS)
    assert fields == {"ram": 512, "vcpus": 2, "disk": "x", "name": "7"}


@pytest.mark.parametrize("flavor,ok", [
    ({"name": "a", "ram": 1, "vcpus": 1, "disk": 0}, True),
    ({"name": "a", "ram": 1, "vcpus": 1, "disk": 0, "id": "m1.small"}, True),
    ({"name": "a", "ram": 1, "vcpus": 1, "disk": 0, "id": None}, True),
    ({"name": "a", "ram": 1, "vcpus": 0, "disk": 0}, False),
    ({"name": "a", "ram": 1, "vcpus": 1, "disk": 0, "swap": -1}, False),
    ({"name": "a", "ram": 1, "vcpus": 1, "disk": 0, "rxtx_factor": -1.5}, False),
    ({"name": "a ", "ram": 1, "vcpus": 1, "disk": 0}, False),
])
def test_flavor_create(flavor, ok):
    if ok:
        validation.validate(flavors.CREATE, {"flavor": flavor})
    else:
        with pytest.raises(errors.BadRequest):
            validation.validate(flavors.CREATE, {"flavor": flavor})


def test_image_create_needs_a_uuid_id():
    validation.validate(images.CREATE, {"image": {"id": "6c2e0a8e-0f4f-4d5e-9a5c-2b8f8f9d7a11"}})
    with pytest.raises(errors.BadRequest):
        validation.validate(images.CREATE, {"image": {"id": "six"}})


@pytest.mark.parametrize("raw", [b"", b"{", b"\xff\xfe", b"[1,"])
def test_load_json_rejects_malformed(raw):
    with pytest.raises(errors.BadRequest) as caught:
        validation.load_json(raw)
    assert caught.value.body() == {"badRequest": {"code": 400,
                                                  "message": "Malformed request body"}}


@pytest.mark.parametrize("argument,ok", [
    ({"type": "HARD"}, True), ({"type": "soft"}, True), ({"type": "FAST"}, False),
    ({}, False), ({"type": "HARD", "force": 1}, False),
])
def test_reboot(argument, ok):
    if ok:
        validation.validate(servers.REBOOT, argument)
    else:
        with pytest.raises(errors.BadRequest):
            validation.validate(servers.REBOOT, argument)
