"""Version documents, microversion negotiation, authentication and error bodies."""

from __future__ import annotations

import pytest

from api_cell.api import microversions
from tests.functional.api.api_world import ALICE


def test_root_lists_v21_as_multiple_choices(client):
    reply = client.get("/")
    assert reply.status_code == 300
    [version] = reply.json["versions"]
    assert version["id"] == "v2.1" and version["status"] == "CURRENT"
    assert version["links"][0]["href"].endswith("/v2.1/")


@pytest.mark.parametrize("path", ["/v2.1", "/v2.1/"])
def test_v21_document_advertises_the_implemented_maximum(client, path):
    reply = client.get(path)
    assert reply.status_code == 200
    document = reply.json["version"]
    assert document["id"] == "v2.1"
    assert document["min_version"] == "2.1"
    assert document["version"] == str(microversions.MAX_VERSION)


@pytest.mark.parametrize("headers", [
    {}, {"OpenStack-API-Version": "compute 2.1"}, {"X-OpenStack-Nova-API-Version": "2.1"},
    {"OpenStack-API-Version": "placement 1.10, compute 2.1"},
])
def test_negotiated_version_is_echoed(client, headers):
    reply = client.get("/v2.1/flavors", headers={**ALICE, **headers})
    assert reply.status_code == 200
    assert reply.headers["OpenStack-API-Version"] == "compute 2.1"
    assert reply.headers["X-OpenStack-Nova-API-Version"] == "2.1"
    assert "OpenStack-API-Version" in reply.headers["Vary"]


def test_latest_is_the_maximum(client):
    reply = client.get("/v2.1/flavors", headers={**ALICE,
                                                 "OpenStack-API-Version": "compute latest"})
    assert reply.headers["OpenStack-API-Version"] == "compute 2.100"
    assert reply.headers["X-OpenStack-Nova-API-Version"] == "2.100"
    assert "OpenStack-API-Version" in reply.headers["Vary"]


@pytest.mark.parametrize("headers", [
    {"OpenStack-API-Version": "compute 2.101"}, {"OpenStack-API-Version": "compute 3.0"},
    {"X-OpenStack-Nova-API-Version": "2.199"}, {"OpenStack-API-Version": "compute 2.0"},
])
def test_out_of_range_version_is_406(client, headers):
    reply = client.get("/v2.1/flavors", headers={**ALICE, **headers})
    assert reply.status_code == 406
    assert reply.json["computeFault"]["code"] == 406
    assert "Minimum is 2.1 and maximum is 2.100" in reply.json["computeFault"]["message"]


@pytest.mark.parametrize("value", ["compute two", "compute 2", "compute 2.x", "compute .1"])
def test_malformed_version_is_400(client, value):
    reply = client.get("/v2.1/flavors", headers={**ALICE, "OpenStack-API-Version": value})
    assert reply.status_code == 400
    assert "invalid format" in reply.json["badRequest"]["message"]


def test_standard_header_wins_over_legacy(client):
    reply = client.get("/v2.1/flavors", headers={**ALICE, "OpenStack-API-Version": "compute 2.1",
                                                 "X-OpenStack-Nova-API-Version": "2.99"})
    assert reply.status_code == 200


def test_missing_token_is_401_with_nova_body(client):
    reply = client.get("/v2.1/servers")
    assert reply.status_code == 401
    assert reply.json["unauthorized"]["code"] == 401


@pytest.mark.parametrize("method,path,code,fault", [
    ("GET", "/v2.1/nothing-here", 404, "itemNotFound"),
    ("PUT", "/v2.1/flavors", 405, "badMethod"),
    ("GET", "/v2.1/servers/not-a-server", 404, "itemNotFound"),
])
def test_routing_errors_have_nova_bodies(client, method, path, code, fault):
    reply = client.open(path, method=method, headers=ALICE)
    assert reply.status_code == code
    assert reply.json[fault]["code"] == code


@pytest.mark.parametrize("method,path,headers", [
    ("GET", "/", {}), ("GET", "/v2.1/flavors", ALICE), ("GET", "/v2.1/servers", {}),
    ("GET", "/v2.1/flavors", {**ALICE, "OpenStack-API-Version": "compute 9.9"}),
])
def test_every_response_carries_request_ids(client, method, path, headers):
    reply = client.open(path, method=method, headers=headers)
    request_id = reply.headers["x-openstack-request-id"]
    assert request_id.startswith("req-")
    assert reply.headers["x-compute-request-id"] == request_id
