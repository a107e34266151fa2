"""The instance columns Nova's server lists filter and sort by (hostname, key name,
description, access addresses, config drive, progress) and the ip6 filter, over two
real cells; access addresses on create, update and rebuild; the cell schema's 0005."""

from __future__ import annotations

import datetime

import pytest
import sqlalchemy as sa

from db import engine as db_engine
from db import migrate
from db.api import instances as api_instances
from db.api.models import FixedIp
from db.cell import instances as cell_instances
from db.engine import session_for
from tests.functional.api.api_world import ADMIN, ALICE, paged_servers

START = datetime.datetime(2024, 1, 1)
DAY = datetime.timedelta(days=1)


def _v(headers: dict, version: str) -> dict:
    return {**headers, "OpenStack-API-Version": f"compute {version}"}


def _names(client, query: str, headers: dict) -> list[str]:
    reply = client.get(f"/v2.1/servers/detail?{query}", headers=headers)
    assert reply.status_code == 200, reply.json
    return [server["name"] for server in reply.json["servers"]]


# name: (cell, key_name, description, hostname, access_ip_v4, access_ip_v6,
#        config_drive, progress)
FLEET = {
    "alpha": ("cell1", "deploy", "web tier", "web-1", "192.0.2.10", "2001:db8::a",
              "True", 0),
    "bravo": ("cell2", "Other", "db tier", "db-1", "192.0.2.9", None, "", 50),
    "charlie": ("cell1", None, None, "cache", None, "2001:db8::1", "", 100),
    "delta": ("cell2", "deploy", "Web tier", "Web-2", "198.51.100.1", "2001:db8::b",
              "True", None),
    "echo": ("cell2", "zeta", "", "db-2", "192.0.2.100", "2001:db8::2", None, 7),
}
COLUMNS = ("key_name", "display_description", "hostname", "access_ip_v4",
           "access_ip_v6", "config_drive", "progress")


@pytest.fixture
def fleet(world) -> dict[str, str]:
    """Five servers of project-a over both cells, by name, with NULLs and ties."""
    made = {}
    for index, (name, (cell, *values)) in enumerate(FLEET.items()):
        made[name] = world.instance(cell, display_name=name, created_at=START + index * DAY,
                                    **dict(zip(COLUMNS, values, strict=True)))
    return made


# Filters ---------------------------------------------------------------------------

@pytest.mark.parametrize("query,matched", [
    ("key_name=^deploy$", ["delta", "alpha"]),
    ("key_name=nobody", []),
    ("config_drive=True", ["delta", "alpha"]),
    ("progress=^50$", ["bravo"]),
    # A regular expression over the number's text, as Nova's REGEXP searches it.
    ("progress=^10", ["charlie"]),
])
def test_filters_for_everyone_from_2_83(client, fleet, query, matched):
    assert _names(client, query, _v(ALICE, "2.83")) == matched
    # Before 2.83 only administrators' are applied; others' are ignored.
    assert len(_names(client, query, _v(ALICE, "2.82"))) == len(FLEET)
    assert _names(client, query + "&all_tenants=1", _v(ADMIN, "2.1")) == matched


@pytest.mark.parametrize("query,matched", [
    ("access_ip_v4=^192\\.0\\.2\\.1", ["echo", "alpha"]),
    ("access_ip_v4=^203\\.", []),
    ("access_ip_v6=::b$", ["delta"]),
    ("access_ip_v6=^2001:db8::[12]$", ["echo", "charlie"]),
    ("description=^[Ww]eb", ["delta", "alpha"]),
])
def test_admin_only_filters(client, fleet, query, matched):
    assert _names(client, query + "&all_tenants=1", _v(ADMIN, "2.83")) == matched
    assert len(_names(client, query, _v(ALICE, "2.83"))) == len(FLEET)


@pytest.mark.parametrize("query", ["key_name=(open", "progress=[", "access_ip_v4=*x",
                                   "ip6=(unclosed"])
def test_a_bad_regular_expression_is_400(client, fleet, query):
    reply = client.get(f"/v2.1/servers?{query}&all_tenants=1", headers=_v(ADMIN, "2.83"))
    assert reply.status_code == 400
    assert "not a valid regular expression" in reply.json["badRequest"]["message"]


def _hold(world, network_uuid: str, instance_uuid: str, address: str) -> None:
    with session_for(world.api_db) as session:
        session.add(FixedIp(network_uuid=network_uuid, address=address,
                            instance_uuid=instance_uuid, mac_address="fa:16:3e:00:00:01"))


def test_ip6_filter_from_2_5(app, client, world, fleet):
    network = app.extensions["cellar"]["backends"].network
    _hold(world, network.uuid, fleet["bravo"], "fd00::5")
    _hold(world, network.uuid, fleet["delta"], "10.20.0.5")
    assert _names(client, "ip6=^fd00::", _v(ALICE, "2.5")) == ["bravo"]
    # Only IPv6 addresses are searched, and ip only IPv4 ones.
    assert _names(client, "ip6=^10\\.20", _v(ALICE, "2.5")) == []
    assert _names(client, "ip=^fd00", _v(ALICE, "2.5")) == []
    assert _names(client, "ip6=^fd00&ip=^10", _v(ALICE, "2.5")) == []
    assert _names(client, "ip6=^fd&sort_key=display_name", _v(ALICE, "2.5")) == ["bravo"]
    # Before 2.5 only administrators filter by ip6.
    assert len(_names(client, "ip6=^fd00::", _v(ALICE, "2.4"))) == len(FLEET)
    assert _names(client, "ip6=^fd00::&all_tenants=1", _v(ADMIN, "2.4")) == ["bravo"]
    reply = client.get("/v2.1/servers?ip6=(", headers=_v(ALICE, "2.4"))
    assert reply.status_code == 200


# Sort keys -------------------------------------------------------------------------

def _expected(key: str, direction: str, made: dict[str, str]) -> list[str]:
    """The order the API must give: NULL first, code points, uuid breaking ties."""
    column = COLUMNS.index(key)

    def position(name: str) -> tuple:
        value = FLEET[name][1 + column]
        return (value is not None, value if value is not None else "", made[name])
    return sorted(FLEET, key=position, reverse=direction == "desc")


@pytest.mark.parametrize("direction", ["asc", "desc"])
@pytest.mark.parametrize("key", COLUMNS)
def test_sort_keys_with_marker_paging_across_cells(client, fleet, key, direction):
    query = f"sort_key={key}&sort_dir={direction}&all_tenants=1"
    whole = _names(client, query, ADMIN)
    assert whole == _expected(key, direction, fleet)
    assert paged_servers(client, f"/v2.1/servers/detail?{query}&limit=2", ADMIN,
                         field="name", most=len(FLEET) + 1) == whole


def test_a_build_request_sorts_with_the_placed_servers(client, world, fleet):
    world.flavor()
    image = world.image()
    body = {"server": {"name": "building", "flavorRef": "1", "imageRef": image.uuid,
                       "accessIPv4": "192.0.2.5", "networks": "none"}}
    reply = client.post("/v2.1/servers", json=body, headers=_v(ALICE, "2.37"))
    assert reply.status_code == 202, reply.json
    building = reply.json["server"]["id"]
    names = _names(client, "sort_key=access_ip_v4&sort_dir=asc", ALICE)
    assert names == ["charlie", "alpha", "echo", "building", "bravo", "delta"]
    after = client.get(f"/v2.1/servers?sort_key=access_ip_v4&sort_dir=asc"
                       f"&marker={building}", headers=ALICE).json["servers"]
    assert [server["name"] for server in after] == ["bravo", "delta"]
    assert _names(client, "sort_key=hostname&sort_dir=asc", ALICE)[0] == "delta"
    assert "building" in _names(client, "config_drive=^$", _v(ALICE, "2.83"))


# Access addresses, config drive ----------------------------------------------------

def _row(world, server_id: str):
    return cell_instances.get(world.cells["cell1"].database_connection, server_id)


def test_create_keeps_access_addresses_and_config_drive_in_the_row(client, world,
                                                                   builder):
    world.flavor()
    image = world.image()
    body = {"server": {"name": "Web Server", "flavorRef": "1", "imageRef": image.uuid,
                       "accessIPv4": "192.0.2.7", "accessIPv6": "2001:db8::7",
                       "config_drive": "yes", "description": "front", "networks": "none"}}
    reply = client.post("/v2.1/servers", json=body, headers=_v(ALICE, "2.37"))
    assert reply.status_code == 202, reply.json
    server_id = reply.json["server"]["id"]
    shown = client.get(f"/v2.1/servers/{server_id}", headers=ALICE).json["server"]
    assert (shown["accessIPv4"], shown["accessIPv6"]) == ("192.0.2.7", "2001:db8::7")
    assert shown["config_drive"] == "True" and shown["progress"] == 0
    builder.build(server_id, "req-test")
    row = _row(world, server_id)
    assert (row.access_ip_v4, row.access_ip_v6) == ("192.0.2.7", "2001:db8::7")
    assert (row.config_drive, row.progress) == ("True", 0)
    assert (row.display_description, row.hostname, row.key_name) == (
        "front", "web-server", None)
    shown = client.get(f"/v2.1/servers/{server_id}",
                       headers=_v(ALICE, "2.90")).json["server"]
    assert (shown["accessIPv4"], shown["config_drive"]) == ("192.0.2.7", "True")
    assert shown["OS-EXT-SRV-ATTR:hostname"] == "web-server"
    # A rename keeps the hostname the server got, as Nova's does.
    client.put(f"/v2.1/servers/{server_id}", json={"server": {"name": "renamed"}},
               headers=ALICE)
    assert client.get(f"/v2.1/servers/{server_id}", headers=_v(ALICE, "2.90")).json[
        "server"]["OS-EXT-SRV-ATTR:hostname"] == "web-server"


def test_without_config_drive_the_row_keeps_an_empty_string(client, world, builder):
    world.flavor()
    image = world.image()
    body = {"server": {"name": "plain", "flavorRef": "1", "imageRef": image.uuid,
                       "config_drive": False, "accessIPv4": ""}}
    reply = client.post("/v2.1/servers", json=body, headers=ALICE)
    assert reply.status_code == 202, reply.json
    builder.build(reply.json["server"]["id"], "req-test")
    row = _row(world, reply.json["server"]["id"])
    assert (row.config_drive, row.access_ip_v4) == ("", None)


@pytest.mark.parametrize("field,value", [
    ("accessIPv4", "192.0.2.256"), ("accessIPv4", "2001:db8::1"), ("accessIPv4", "host"),
    ("accessIPv6", "192.0.2.1"), ("accessIPv6", "2001:db8:::1"), ("config_drive", "maybe"),
])
def test_create_refuses_a_bad_access_address_or_config_drive(client, world, field, value):
    world.flavor()
    image = world.image()
    body = {"server": {"name": "bad", "flavorRef": "1", "imageRef": image.uuid,
                       field: value}}
    reply = client.post("/v2.1/servers", json=body, headers=ALICE)
    assert reply.status_code == 400
    assert reply.json["badRequest"]["message"].startswith(
        f"Invalid input for field/attribute server/{field}.")


def test_update_sets_and_clears_access_addresses(client, world):
    server_id = world.instance("cell1", display_name="web")
    path = f"/v2.1/servers/{server_id}"
    reply = client.put(path, headers=ALICE, json={"server": {
        "accessIPv4": "192.0.2.1", "accessIPv6": "2001:db8::1"}})
    assert reply.status_code == 200, reply.json
    assert (reply.json["server"]["accessIPv4"], reply.json["server"]["accessIPv6"]) == (
        "192.0.2.1", "2001:db8::1")
    row = _row(world, server_id)
    assert (row.access_ip_v4, row.access_ip_v6) == ("192.0.2.1", "2001:db8::1")
    spec = api_instances.specs_of(world.api_db, [server_id])[server_id]
    assert spec["access_ip_v4"] == "192.0.2.1"
    cleared = client.put(path, headers=ALICE, json={"server": {"accessIPv4": ""}})
    assert cleared.json["server"]["accessIPv4"] == ""
    assert cleared.json["server"]["accessIPv6"] == "2001:db8::1"
    assert _row(world, server_id).access_ip_v4 is None
    for body in ({"accessIPv4": "1.2.3"}, {"accessIPv6": "::g"}, {"accessIPv4": None}):
        reply = client.put(path, headers=ALICE, json={"server": body})
        assert reply.status_code == 400
        assert reply.json["badRequest"]["code"] == 400


def test_update_keeps_description_and_hostname_in_the_row(client, world):
    server_id = world.instance("cell1", display_name="web")
    reply = client.put(f"/v2.1/servers/{server_id}", headers=_v(ALICE, "2.90"),
                       json={"server": {"description": "about", "hostname": "web-9"}})
    assert reply.status_code == 200, reply.json
    row = _row(world, server_id)
    assert (row.display_description, row.hostname) == ("about", "web-9")
    client.put(f"/v2.1/servers/{server_id}", headers=_v(ALICE, "2.90"),
               json={"server": {"description": None}})
    assert _row(world, server_id).display_description is None
    assert _names(client, "sort_key=hostname", ALICE) == ["web"]


def test_update_of_a_build_request_reaches_the_row_it_gets(client, world, builder):
    world.flavor()
    image = world.image()
    body = {"server": {"name": "early", "flavorRef": "1", "imageRef": image.uuid}}
    server_id = client.post("/v2.1/servers", json=body, headers=ALICE).json["server"]["id"]
    reply = client.put(f"/v2.1/servers/{server_id}", headers=_v(ALICE, "2.90"), json={
        "server": {"accessIPv6": "2001:db8::9", "hostname": "early-1"}})
    assert reply.status_code == 200, reply.json
    assert reply.json["server"]["accessIPv6"] == "2001:db8::9"
    builder.build(server_id, "req-test")
    row = _row(world, server_id)
    assert (row.access_ip_v6, row.hostname) == ("2001:db8::9", "early-1")


def test_rebuild_changes_access_addresses_and_the_row(client, world):
    server_id = world.instance("cell1", display_name="web", access_ip_v4="192.0.2.1",
                               key_name="old")
    image = world.image()
    body = {"rebuild": {"imageRef": image.uuid, "accessIPv4": "", "name": "new",
                        "accessIPv6": "2001:db8::5", "description": "rebuilt"}}
    reply = client.post(f"/v2.1/servers/{server_id}/action", json=body,
                        headers=_v(ALICE, "2.19"))
    assert reply.status_code == 202, reply.json
    assert (reply.json["server"]["accessIPv4"], reply.json["server"]["accessIPv6"]) == (
        "", "2001:db8::5")
    row = _row(world, server_id)
    assert (row.access_ip_v4, row.access_ip_v6, row.display_name) == (
        None, "2001:db8::5", "new")
    assert (row.display_description, row.key_name) == ("rebuilt", "old")
    bad = {"rebuild": {"imageRef": image.uuid, "accessIPv6": "2001:db8::5::"}}
    reply = client.post(f"/v2.1/servers/{server_id}/action", json=bad, headers=ALICE)
    assert reply.status_code == 400
    assert "accessIPv6" in reply.json["badRequest"]["message"]


# The cell schema -------------------------------------------------------------------

def test_migration_0005_adds_nullable_columns_to_existing_rows(database_url):
    url = database_url("cell_0005")
    migrate.upgrade("cell", url, "0004")
    with session_for(url) as session:
        session.execute(sa.text(
            "INSERT INTO instances (uuid, project_id, user_id, display_name, flavor, "
            "vm_state, power_state, metadata_items, deleted, locked, created_at) VALUES "
            "('11111111-2222-3333-4444-555555555555', 'p', 'u', 'old', '{}', 'active', "
            "1, '{}', 0, 0, '2024-01-01 00:00:00')"))
    migrate.upgrade("cell", url)
    assert migrate.current_revision(url) == "0005"
    row = cell_instances.get(url, "11111111-2222-3333-4444-555555555555")
    assert [getattr(row, column) for column in COLUMNS] == [None] * len(COLUMNS)
    columns = {c["name"]: c for c in sa.inspect(db_engine.get_engine(url)).get_columns(
        "instances")}
    assert all(columns[name]["nullable"] for name in COLUMNS)
    assert columns["access_ip_v6"]["type"].length == 39
