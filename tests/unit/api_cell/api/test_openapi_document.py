"""The OpenAPI document of the compute API, generated from the route table."""

from __future__ import annotations

import json

import pytest
import schemathesis

from api_cell.api import microversions, openapi, routes
from api_cell.api.schemas import flavors as flavor_schemas
from api_cell.api.schemas import hosts as host_schemas
from api_cell.api.schemas import quotas as quota_schemas
from api_cell.api.schemas import servers as server_schemas

V = routes.V
ENDPOINTS = {route.endpoint for route in routes.ROUTES}


def _operation(doc: dict, method: str, path: str) -> dict:
    return doc["paths"][path][method]


def test_every_write_has_its_body_schema_or_says_it_takes_none():
    writes = {route.endpoint for route in routes.ROUTES if route.method in ("POST", "PUT")}
    assert writes - set(openapi.BODIES) - openapi.BODILESS == set()
    assert set(openapi.BODIES) | openapi.BODILESS <= ENDPOINTS
    assert not set(openapi.BODIES) & openapi.BODILESS


def test_document_is_valid_openapi_with_unique_operation_ids():
    doc = openapi.document()
    schemathesis.openapi.from_dict(doc).validate()
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    assert doc["openapi"].startswith("3.1")
    assert doc["info"]["version"] == str(microversions.MAX_VERSION)


def test_path_parameters_come_from_the_route():
    doc = openapi.document()
    op = _operation(doc, "put", f"{V}/flavors/{{flavor_id}}/os-extra_specs/{{key}}")
    names = [p["name"] for p in op["parameters"] if p.get("in") == "path"]
    assert names == ["flavor_id", "key"]
    assert openapi.openapi_path("/a/<int:x>/<y>") == "/a/{x}/{y}"


def test_body_is_the_schema_the_handler_validates_with():
    doc = openapi.document()
    body = _operation(doc, "post", f"{V}/servers")["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert schema == openapi.json_schema(server_schemas.create(tuple(microversions.MAX_VERSION)))
    assert "hostname" in schema["properties"]["server"]["properties"]
    assert "requestBody" not in _operation(doc, "get", f"{V}/servers")


def test_server_action_body_is_one_of_the_action_table():
    doc = openapi.document()
    body = _operation(doc, "post", f"{V}/servers/{{server_id}}/action")["requestBody"]
    choices = body["content"]["application/json"]["schema"]["oneOf"]
    assert {next(iter(c["required"])) for c in choices} >= {"reboot", "os-start", "rebuild"}


def test_routes_appear_only_at_the_versions_that_serve_them():
    latest = openapi.document()
    assert f"{V}/images" not in latest["paths"]
    assert f"{V}/servers/{{server_id}}/topology" in latest["paths"]
    old = openapi.document(microversions.parse("2.35"))
    assert f"{V}/images" in old["paths"]
    assert f"{V}/servers/{{server_id}}/topology" not in old["paths"]


def test_public_routes_need_no_token_and_others_do():
    doc = openapi.document()
    assert doc["security"] == [{openapi.SECURITY_SCHEME: []}]
    assert _operation(doc, "get", "/openapi.json")["security"] == []
    assert _operation(doc, "get", V)["security"] == []
    assert "security" not in _operation(doc, "get", f"{V}/servers")
    scheme = doc["components"]["securitySchemes"][openapi.SECURITY_SCHEME]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "X-Auth-Token"}


def test_microversion_headers_only_under_v2_1():
    doc = openapi.document()
    refs = {p.get("$ref") for p in _operation(doc, "get", f"{V}/flavors")["parameters"]}
    assert {"#/components/parameters/OpenStackAPIVersion",
            "#/components/parameters/NovaAPIVersion"} <= refs
    assert _operation(doc, "get", "/")["parameters"] == []
    assert "300" in _operation(doc, "get", "/")["responses"]


def test_errors_are_nova_faults_with_request_ids():
    doc = openapi.document()
    responses = _operation(doc, "delete", f"{V}/servers/{{server_id}}")["responses"]
    assert responses["4XX"] == {"$ref": "#/components/responses/Fault"}
    fault = doc["components"]["responses"]["Fault"]
    assert set(fault["headers"]) == {"X-OpenStack-Request-Id", "X-Compute-Request-Id"}


def test_draft4_exclusive_bounds_become_2020_12_and_input_is_untouched():
    converted = openapi.json_schema(flavor_schemas.CREATE)
    rxtx = converted["properties"]["flavor"]["properties"]["rxtx_factor"]
    assert rxtx["exclusiveMinimum"] == 0 and "minimum" not in rxtx
    original = flavor_schemas.CREATE["properties"]["flavor"]["properties"]["rxtx_factor"]
    assert original["exclusiveMinimum"] is True
    # A property merely named like a keyword is left alone.
    named = {"properties": {"exclusiveMinimum": {"type": "boolean"}}}
    assert openapi.json_schema(named) == named


def test_server_url_is_given_when_asked():
    assert openapi.document(server_url="http://api:8774/")["servers"] == [
        {"url": "http://api:8774"}]
    assert "servers" not in openapi.document()


def test_command_prints_the_document(capsys):
    assert openapi.main(["--version", "2.35"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["info"]["version"] == "2.35"
    with pytest.raises(SystemExit):
        openapi.main(["--version", "3.0"])


def test_quota_and_service_bodies_follow_the_microversion():
    assert "floating_ips" in quota_schemas.resources((2, 35))
    assert "floating_ips" not in quota_schemas.resources((2, 36))
    assert "injected_files" not in quota_schemas.resources((2, 57))
    limit = quota_schemas.update((2, 1))["properties"]["quota_set"]["properties"]["cores"]
    assert limit["minimum"] == -1
    assert host_schemas.service_update((2, 52)) is host_schemas.HOST_BINARY
    assert host_schemas.service_update((2, 53)) is host_schemas.SERVICE_UPDATE


def test_server_lists_declare_their_query_parameters():
    doc = openapi.document()
    params = _operation(doc, "get", f"{V}/servers/detail")["parameters"]
    query = {p["name"] for p in params if p.get("in") == "query"}
    assert query == server_schemas.LIST_PARAMS
    assert set(openapi.QUERIES) <= ENDPOINTS
