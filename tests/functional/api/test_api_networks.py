"""Networking through the compute API: networks at create, addresses in server views,
the server IPs API and the ip list filter, over real databases, Redis, placement and
the superconductor's boot flow."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from api_cell.api.domain import networks
from db import engine as db_engine
from db.api import fixed_ips
from tests.functional.api.api_world import ALICE, BOB

V237 = {**ALICE, "OpenStack-API-Version": "compute 2.37"}


@pytest.fixture
def network(app) -> networks.ProviderNetwork:
    return app.extensions["cellar"]["backends"].network


@pytest.fixture
def catalog(world):
    world.flavor()
    return world.image()


def _boot(client, image, networks_field="auto", headers=V237, name="vm"):
    body = {"server": {"name": name, "flavorRef": "1", "imageRef": image.uuid,
                       "networks": networks_field}}
    return client.post("/v2.1/servers", json=body, headers=headers)


def _booted(client, builder, image, networks_field="auto", headers=V237, name="vm") -> str:
    reply = _boot(client, image, networks_field, headers, name)
    assert reply.status_code == 202, reply.json
    server_id = reply.json["server"]["id"]
    builder.build(server_id, "req-test")
    return server_id


def test_auto_shows_the_address_in_show_detail_and_ips(client, builder, catalog, network):
    server_id = _booted(client, builder, catalog)
    [held] = fixed_ips.for_instances(builder.api_url, [server_id])[server_id]

    server = client.get(f"/v2.1/servers/{server_id}", headers=V237).json["server"]
    assert server["addresses"] == {"public": [{
        "version": 4, "addr": held.address, "OS-EXT-IPS:TYPE": "fixed",
        "OS-EXT-IPS-MAC:mac_addr": held.mac_address}]}
    assert held.address.startswith("10.20.") and held.address != str(network.gateway)
    assert held.mac_address.startswith("fa:16:3e:")
    assert server["accessIPv4"] == ""

    [listed] = client.get("/v2.1/servers/detail", headers=V237).json["servers"]
    assert listed["addresses"] == server["addresses"]

    ips = client.get(f"/v2.1/servers/{server_id}/ips", headers=V237)
    assert ips.status_code == 200
    assert ips.json == {"addresses": {"public": [{"version": 4, "addr": held.address}]}}
    one = client.get(f"/v2.1/servers/{server_id}/ips/public", headers=V237)
    assert one.json == {"public": [{"version": 4, "addr": held.address}]}
    missing = client.get(f"/v2.1/servers/{server_id}/ips/private", headers=V237)
    assert missing.status_code == 404
    assert "itemNotFound" in missing.json
    assert client.get(f"/v2.1/servers/{server_id}/ips",
                      headers={**BOB, "OpenStack-API-Version": "compute 2.37"}
                      ).status_code == 404


def test_none_gets_no_address(client, builder, catalog):
    server_id = _booted(client, builder, catalog, "none")
    server = client.get(f"/v2.1/servers/{server_id}", headers=V237).json["server"]
    assert server["addresses"] == {}
    assert client.get(f"/v2.1/servers/{server_id}/ips", headers=V237).json == {
        "addresses": {}}
    assert fixed_ips.for_instances(builder.api_url, [server_id]) == {}


def test_omitted_networks_before_2_37_means_auto(client, builder, catalog):
    body = {"server": {"name": "old", "flavorRef": "1", "imageRef": catalog.uuid}}
    reply = client.post("/v2.1/servers", json=body, headers=ALICE)
    assert reply.status_code == 202
    server_id = reply.json["server"]["id"]
    builder.build(server_id, "req-old")
    assert list(client.get(f"/v2.1/servers/{server_id}", headers=ALICE
                           ).json["server"]["addresses"]) == ["public"]


def test_building_server_has_no_address_yet(client, catalog):
    reply = _boot(client, catalog)
    server = client.get(f"/v2.1/servers/{reply.json['server']['id']}",
                        headers=V237).json["server"]
    assert server["addresses"] == {}


def test_network_named_by_uuid_with_fixed_ip(client, builder, catalog, network):
    wanted = [{"uuid": network.uuid, "fixed_ip": "10.20.3.4"}]
    server_id = _booted(client, builder, catalog, wanted)
    ips = client.get(f"/v2.1/servers/{server_id}/ips/public", headers=V237).json
    assert ips == {"public": [{"version": 4, "addr": "10.20.3.4"}]}

    taken = _boot(client, catalog, wanted)
    assert taken.status_code == 400
    assert "10.20.3.4 is already in use" in taken.json["badRequest"]["message"]


@pytest.mark.parametrize(("entry", "message"), [
    ({"uuid": "0b0e6c1e-0000-4000-8000-000000000000"},
     "Network 0b0e6c1e-0000-4000-8000-000000000000 could not be found."),
    ({"uuid": "NET", "fixed_ip": "10.99.0.5"}, "is not a valid ip address for network"),
    ({"uuid": "NET", "fixed_ip": "10.20.0.1"}, "is not a valid ip address for network"),
    ({"uuid": "NET", "fixed_ip": "10.20.0"}, "Invalid fixed IP address"),
    ({"port": "0b0e6c1e-0000-4000-8000-000000000000"}, "Ports are not supported"),
])
def test_bad_network_requests_are_400(client, catalog, network, entry, message):
    entry = {k: network.uuid if v == "NET" else v for k, v in entry.items()}
    reply = _boot(client, catalog, [entry])
    assert reply.status_code == 400, reply.json
    assert message in reply.json["badRequest"]["message"]


def test_twice_the_same_network_is_400(client, catalog, network):
    reply = _boot(client, catalog, [{"uuid": network.uuid}, {"uuid": network.uuid}])
    assert reply.status_code == 400
    assert "duplicated" in reply.json["badRequest"]["message"]


def test_deleted_server_gives_its_address_back_when_its_cell_deletes_it(
        client, builder, catalog):
    server_id = _booted(client, builder, catalog, [{"uuid": builder.network.uuid,
                                                    "fixed_ip": "10.20.9.9"}])
    assert client.delete(f"/v2.1/servers/{server_id}", headers=V237).status_code == 204
    # The API only queues the delete: until the cell conductor has destroyed the guest
    # the address stays held.
    assert fixed_ips.holder_of(builder.api_url, builder.network.uuid, "10.20.9.9") == \
        server_id


def test_delete_while_building_leaves_no_address(client, builder, catalog):
    reply = _boot(client, catalog)
    server_id = reply.json["server"]["id"]
    assert client.delete(f"/v2.1/servers/{server_id}", headers=V237).status_code == 204
    builder.build(server_id, "req-late")
    assert fixed_ips.for_instances(builder.api_url, [server_id]) == {}


def test_ip_filter_matches_from_the_start_of_the_address(client, builder, catalog, network):
    first = _booted(client, builder, catalog, [{"uuid": network.uuid,
                                                "fixed_ip": "10.20.7.1"}], name="a")
    second = _booted(client, builder, catalog, [{"uuid": network.uuid,
                                                 "fixed_ip": "10.20.7.12"}], name="b")
    _booted(client, builder, catalog, "none", name="c")

    def listed(query, path="servers/detail"):
        reply = client.get(f"/v2.1/{path}?{query}", headers=V237)
        assert reply.status_code == 200, reply.json
        return [s["id"] for s in reply.json["servers"]]

    assert listed("ip=10.20.7.1$") == [first]
    assert sorted(listed("ip=10.20.7.1")) == sorted([first, second])
    assert listed("ip=20.7") == []
    assert listed("ip=10.20.7.12", "servers") == [second]
    assert listed("ip=10.20.7&limit=1") == [second]
    assert listed(f"ip=10.20.7&marker={second}") == [first]
    # Combined with a filter the cells apply.
    assert sorted(listed("ip=10.20.7&status=BUILD")) == sorted([first, second])
    assert listed("ip=10.20.7&status=ACTIVE") == []
    bad = client.get("/v2.1/servers?ip=(", headers=V237)
    assert bad.status_code == 400 and "badRequest" in bad.json


def test_addresses_of_a_page_are_read_in_one_query(client, builder, catalog, world):
    for name in ("a", "b", "c", "d", "e"):
        _booted(client, builder, catalog, name=name)
    engine = db_engine.get_engine(world.api_db)
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        if "fixed_ips" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        reply = client.get("/v2.1/servers/detail", headers=V237)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert reply.status_code == 200
    assert len(reply.json["servers"]) == 5
    assert all(s["addresses"]["public"] for s in reply.json["servers"])
    assert len(seen) == 1
