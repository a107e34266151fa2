"""POST and GET /identity/v3/auth/tokens of the noauth2 identity stub: Keystone's
token shape, the roles noauth2 gives, and a catalog of the configured services."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import flask
import pytest

from api_cell.api.app import create_app
from tests.functional.api.api_world import ADMIN, ALICE, World, make_conf

TOKENS = "/identity/v3/auth/tokens"
PLACEMENT_URL = "http://placement.example.com:8778"
IMAGE_URL = "http://image.example.com:9292"


def _password(user: dict[str, Any], project: dict[str, Any] | None = None) -> dict:
    auth: dict[str, Any] = {"identity": {"methods": ["password"], "password": {
        "user": {**user, "password": "anything"}}}}
    if project is not None:
        auth["scope"] = {"project": project}
    return {"auth": auth}


def _token(token_id: str, project: dict[str, Any] | None = None) -> dict:
    auth: dict[str, Any] = {"identity": {"methods": ["token"], "token": {"id": token_id}}}
    if project is not None:
        auth["scope"] = {"project": project}
    return {"auth": auth}


def _endpoints(body: dict) -> dict[str, str]:
    found = {}
    for service in body["token"]["catalog"]:
        [endpoint] = service["endpoints"]
        assert (endpoint["interface"], endpoint["region"], endpoint["region_id"]) == (
            "public", "RegionOne", "RegionOne")
        found[service["type"]] = endpoint["url"]
    return found


def _app(world: World, overrides: dict[tuple[str, str], Any]) -> flask.Flask:
    conf = make_conf(world.api_db, world.redis_url, world.redis_prefix)
    for (group, name), value in overrides.items():
        conf.set_override(name, value, group=group)
    return create_app(conf)


@pytest.fixture
def catalog_client(world: World) -> Iterator[flask.testing.FlaskClient]:
    """The API with [catalog] placement and image set, and a public endpoint."""
    app = _app(world, {("catalog", "placement_endpoint"): PLACEMENT_URL,
                       ("catalog", "image_endpoint"): IMAGE_URL,
                       ("compute_api", "public_endpoint"): "https://api.example.com/"})
    yield app.test_client()
    app.extensions["cellar"]["backends"].pool.shutdown(wait=True)


def test_password_login_scoped_by_name_is_a_noauth2_token(client):
    reply = client.post(TOKENS, json=_password(
        {"name": "demo", "domain": {"name": "Default"}},
        {"name": "demo", "domain": {"name": "Default"}}))
    assert reply.status_code == 201, reply.json
    assert reply.headers["X-Subject-Token"] == "demo:demo"
    assert reply.headers["X-OpenStack-Request-Id"].startswith("req-")
    token = reply.json["token"]
    assert token["methods"] == ["password"]
    assert token["user"]["id"] == token["user"]["name"] == "demo"
    assert token["project"] == {"id": "demo", "name": "demo",
                                "domain": {"id": "default", "name": "Default"}}
    assert token["user"]["domain"] == {"id": "default", "name": "Default"}
    assert [r["name"] for r in token["roles"]] == ["member", "reader"]
    assert token["is_domain"] is False
    assert len(token["audit_ids"]) == 1 and token["audit_ids"][0]
    issued = datetime.datetime.strptime(token["issued_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    expires = datetime.datetime.strptime(token["expires_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert expires - issued == datetime.timedelta(hours=24)
    # The token it gives is one the API takes.
    servers = client.get("/v2.1/servers", headers={"X-Auth-Token": "demo:demo"})
    assert servers.status_code == 200, servers.json


def test_ids_work_as_names_and_domain_ids_are_accepted(client):
    reply = client.post(TOKENS, json=_password({"id": "alice", "domain": {"id": "default"}},
                                               {"id": "project-a",
                                                "domain": {"id": "default"}}))
    assert reply.status_code == 201, reply.json
    assert reply.headers["X-Subject-Token"] == "alice:project-a"


def test_unscoped_password_login_is_in_the_project_named_like_the_user(client):
    reply = client.post(TOKENS, json=_password({"name": "bob"}))
    assert reply.status_code == 201, reply.json
    assert reply.headers["X-Subject-Token"] == "bob:bob"
    assert reply.json["token"]["project"]["id"] == "bob"


def test_admin_gets_the_admin_role_and_what_it_implies(client):
    reply = client.post(TOKENS, json=_password({"name": "admin"}, {"name": "admin"}))
    assert reply.status_code == 201, reply.json
    assert reply.headers["X-Subject-Token"] == "admin:admin"
    assert [(r["id"], r["name"]) for r in reply.json["token"]["roles"]] == [
        ("admin", "admin"), ("member", "member"), ("reader", "reader")]


def test_token_method_rescopes_an_existing_token(client):
    reply = client.post(TOKENS, json=_token("admin", {"name": "demo"}))
    assert reply.status_code == 201, reply.json
    assert reply.headers["X-Subject-Token"] == "admin:demo"
    assert reply.json["token"]["methods"] == ["token"]
    assert "admin" in [r["name"] for r in reply.json["token"]["roles"]]
    # Without a scope the new token keeps the old one's project.
    same = client.post(TOKENS, json=_token("alice:project-a"))
    assert same.status_code == 201, same.json
    assert same.headers["X-Subject-Token"] == "alice:project-a"


def test_a_token_naming_nobody_does_not_log_in(client):
    reply = client.post(TOKENS, json=_token(":project-a"))
    assert reply.status_code == 401
    assert reply.json["unauthorized"]["code"] == 401


def test_methods_naming_different_users_do_not_log_in(client):
    body = _password({"name": "alice"})
    body["auth"]["identity"]["methods"].append("token")
    body["auth"]["identity"]["token"] = {"id": "bob:project-b"}
    assert client.post(TOKENS, json=body).status_code == 401
    body["auth"]["identity"]["token"] = {"id": "alice:project-a"}
    assert client.post(TOKENS, json=body).status_code == 201


def test_catalog_lists_identity_and_compute_at_the_request_url(client):
    reply = client.post(TOKENS, json=_password({"name": "demo"}))
    assert _endpoints(reply.json) == {"identity": "http://localhost/identity/v3",
                                      "compute": "http://localhost/v2.1"}
    names = {s["type"]: s["name"] for s in reply.json["token"]["catalog"]}
    assert names == {"identity": "keystone", "compute": "nova"}


def test_catalog_adds_the_configured_services_at_the_public_endpoint(catalog_client):
    reply = catalog_client.post(TOKENS, json=_password({"name": "demo"}))
    assert reply.status_code == 201, reply.json
    assert _endpoints(reply.json) == {"identity": "https://api.example.com/identity/v3",
                                      "compute": "https://api.example.com/v2.1",
                                      "placement": PLACEMENT_URL, "image": IMAGE_URL}


def test_validating_a_token_answers_the_same_document(catalog_client):
    reply = catalog_client.get(TOKENS, headers={**ALICE, "X-Subject-Token": "admin:demo"})
    assert reply.status_code == 200, reply.json
    assert reply.headers["X-Subject-Token"] == "admin:demo"
    token = reply.json["token"]
    assert (token["user"]["id"], token["project"]["id"]) == ("admin", "demo")
    assert token["roles"][0]["name"] == "admin"
    assert set(_endpoints(reply.json)) == {"identity", "compute", "placement", "image"}


@pytest.mark.parametrize("subject", [None, "", ":demo", "a b:c", "al:ice:proj"])
def test_validating_a_token_noauth2_cannot_read_is_404(client, subject):
    headers = dict(ADMIN)
    if subject is not None:
        headers["X-Subject-Token"] = subject
    reply = client.get(TOKENS, headers=headers)
    assert reply.status_code == 404, reply.json
    assert reply.json["itemNotFound"]["code"] == 404


def test_validating_needs_a_token_of_ones_own(client):
    reply = client.get(TOKENS, headers={"X-Subject-Token": "demo:demo"})
    assert reply.status_code == 401


@pytest.mark.parametrize("body", [
    {},
    {"auth": {}},
    {"auth": {"identity": {"methods": []}}},
    {"auth": {"identity": {"methods": ["totp"], "totp": {}}}},
    {"auth": {"identity": {"methods": ["password"]}}},
    {"auth": {"identity": {"methods": ["password"], "password": {"user": {}}}}},
    {"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": 7}}}}},
    {"auth": {"identity": {"methods": ["password"],
                           "password": {"user": {"name": "a:b"}}}}},
    {"auth": {"identity": {"methods": ["password"],
                           "password": {"user": {"name": "alice\n"}}}}},
    {"auth": {"identity": {"methods": ["token"]}}},
    {"auth": {"identity": {"methods": ["token"], "token": {"id": ""}}}},
    {"auth": {"identity": {"methods": ["password"],
                           "password": {"user": {"name": "alice"}}},
              "scope": {"domain": {"name": "Default"}}}},
    {"auth": {"identity": {"methods": ["password"],
                           "password": {"user": {"name": "alice"}}},
              "scope": {"project": {"domain": {"name": "Default"}}}}},
    {"auth": {"identity": {"methods": ["password"],
                           "password": {"user": {"name": "alice"}}},
              "scope": {"project": {"name": "p q"}}}},
    [],
    "auth",
])
def test_bad_bodies_are_400_in_novas_format(client, body):
    reply = client.post(TOKENS, json=body)
    assert reply.status_code == 400, reply.json
    assert reply.json["badRequest"]["code"] == 400


def test_a_body_that_is_not_json_is_400(client):
    reply = client.post(TOKENS, data=b"{not json", content_type="application/json")
    assert reply.status_code == 400
    assert reply.json["badRequest"]["code"] == 400


def test_no_token_endpoint_when_keystone_authenticates(world):
    # Only the login: the test configuration names no Keystone, so keystonemiddleware
    # cannot validate a token a GET would carry.
    app = _app(world, {("api", "auth_strategy"): "keystone"})
    try:
        login = app.test_client().post(TOKENS, json=_password({"name": "demo"}))
    finally:
        app.extensions["cellar"]["backends"].pool.shutdown(wait=True)
    assert login.status_code == 404
    assert login.json["itemNotFound"]["code"] == 404
