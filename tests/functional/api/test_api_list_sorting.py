"""Server list sort keys and the filters served from the cells, over two real cells."""

from __future__ import annotations

import datetime

import pytest
import sqlalchemy as sa

from db.api.models import RequestSpec
from db.engine import session_for
from tests.functional.api.api_world import ADMIN, ALICE, paged_servers

DAY = datetime.timedelta(days=1)
START = datetime.datetime(2024, 1, 1)


def _v(headers: dict, version: str) -> dict:
    return {**headers, "OpenStack-API-Version": f"compute {version}"}


def _names(client, query: str, headers: dict = ALICE) -> list[str]:
    reply = client.get(f"/v2.1/servers/detail?{query}", headers=headers)
    assert reply.status_code == 200, reply.json
    return [server["name"] for server in reply.json["servers"]]


def _set_spec(world, instance_uuid: str, **fields) -> None:
    with session_for(world.api_db) as session:
        session.execute(sa.update(RequestSpec)
                        .where(RequestSpec.instance_uuid == instance_uuid)
                        .values(spec=fields))


@pytest.fixture
def fleet(world) -> dict[str, str]:
    """Six servers of project-a spread over both cells, by name."""
    made = {}
    rows = [("cell1", "bravo", {"host": "h2", "power_state": 1}),
            ("cell2", "alpha", {"host": "h1", "power_state": 4}),
            ("cell1", "delta", {"host": "h1", "power_state": 4}),
            ("cell2", "charlie", {"host": "h2", "power_state": 1}),
            ("cell1", "echo", {"host": "h1", "power_state": 1}),
            ("cell2", "Foxtrot", {"host": "h2", "power_state": 4})]
    for index, (cell, name, fields) in enumerate(rows):
        made[name] = world.instance(cell, display_name=name, created_at=START + index * DAY,
                                    **fields)
    return made


def test_sort_by_name_ascending_and_descending(client, fleet):
    ascending = _names(client, "sort_key=display_name&sort_dir=asc")
    # Code point order: capitals first, as both MariaDB (binary collation) and Python.
    assert ascending == ["Foxtrot", "alpha", "bravo", "charlie", "delta", "echo"]
    assert _names(client, "sort_key=display_name&sort_dir=desc") == ascending[::-1]


def test_sort_by_two_keys(client, fleet):
    names = _names(client, "sort_key=power_state&sort_dir=asc"
                           "&sort_key=display_name&sort_dir=desc")
    assert names == ["echo", "charlie", "bravo", "delta", "alpha", "Foxtrot"]


def test_default_sort_key_keeps_the_newest_first(client, fleet):
    newest_first = ["Foxtrot", "echo", "charlie", "delta", "alpha", "bravo"]
    assert _names(client, "") == newest_first
    assert _names(client, "sort_key=created_at&sort_dir=desc") == newest_first
    assert _names(client, "sort_key=created_at&sort_dir=asc") == newest_first[::-1]


@pytest.mark.parametrize("query", [
    "sort_key=display_name&sort_dir=asc",
    "sort_key=host&sort_dir=asc&sort_key=display_name&sort_dir=desc",
    "sort_key=power_state&sort_dir=desc",
    "sort_key=launched_at",
])
def test_paging_through_a_sorted_list_returns_each_server_once(client, fleet, query):
    whole = [server["id"] for server in client.get(
        f"/v2.1/servers?{query}&all_tenants=1", headers=ADMIN).json["servers"]]
    assert sorted(whole) == sorted(fleet.values())
    assert paged_servers(client, f"/v2.1/servers?{query}&all_tenants=1&limit=2",
                         ADMIN, most=len(fleet) + 1) == whole


def test_paging_with_a_regex_filter_reads_past_non_matching_rows(client, world):
    # In each cell, more than a batch (100 rows) of non-matching rows lies between
    # its newest and its oldest match, so the cell is read in several batches.
    wanted = []
    for index in range(460):
        cell = "cell1" if index % 2 else "cell2"
        name = f"keep-{index:03}" if index in (0, 1, 458, 459) else f"skip-{index:03}"
        made = world.instance(cell, display_name=name, created_at=START + index * DAY)
        if name.startswith("keep"):
            wanted.append(made)
    assert paged_servers(client, "/v2.1/servers?name=^keep&limit=2", ALICE,
                         most=len(wanted) + 1) == wanted[::-1]


@pytest.mark.parametrize("query", [
    "sort_key=nope", "sort_dir=up", "sort_key=display_name&sort_dir=sideways",
    "sort_key=display_name&sort_dir=asc&sort_dir=desc", "name=(unclosed",
    "created_at=yesterday&all_tenants=1",
])
def test_bad_sort_or_filter_is_400(client, fleet, query):
    reply = client.get(f"/v2.1/servers?{query}", headers=ADMIN)
    assert reply.status_code == 400
    assert reply.json["badRequest"]["code"] == 400


def test_sorting_by_host_is_for_admins(client, fleet):
    reply = client.get("/v2.1/servers?sort_key=host", headers=ALICE)
    assert reply.status_code == 403
    assert client.get("/v2.1/servers?sort_key=host", headers=ADMIN).status_code == 200


def test_ignored_sort_keys_are_accepted(client, fleet):
    assert len(_names(client, "sort_key=kernel_id&sort_dir=asc")) == 6


def test_name_filter_is_a_regex_search(client, fleet):
    assert sorted(_names(client, "name=ar")) == ["charlie"]
    assert sorted(_names(client, "name=^[a-c]")) == ["alpha", "bravo", "charlie"]
    assert _names(client, "name=^zulu$") == []


def test_image_filter_takes_an_id_or_a_link(client, world):
    image = "0b0b0b0b-0000-4000-8000-000000000001"
    world.instance("cell1", display_name="with", image_ref=image)
    world.instance("cell2", display_name="without")
    assert _names(client, f"image={image}") == ["with"]
    assert _names(client, f"image=http://glance/v2/images/{image}") == ["with"]


def test_flavor_filter(client, world):
    small = {"id": "small", "name": "s", "vcpus": 1, "ram": 1, "disk": 1}
    world.instance("cell1", display_name="one", flavor=small)
    world.instance("cell2", display_name="two", flavor={**small, "id": "big"})
    assert _names(client, "flavor=small") == ["one"]
    assert _names(client, "flavor=none") == []


def test_reservation_id_filter(client, world, fleet):
    reply = client.get(f"/v2.1/servers/{fleet['delta']}", headers=_v(ADMIN, "2.3"))
    reservation = reply.json["server"]["OS-EXT-SRV-ATTR:reservation_id"]
    assert _names(client, f"reservation_id={reservation}") == ["delta"]
    assert _names(client, "reservation_id=r-zzzzzzzz") == []
    # One kept in the request spec (multiple create) is the one matched.
    _set_spec(world, fleet["alpha"], reservation_id="r-shared01")
    _set_spec(world, fleet["echo"], reservation_id="r-shared01")
    assert _names(client, "reservation_id=r-shared01") == ["echo", "alpha"]


def test_key_name_and_description_filters(client, world):
    # Matched in the cells' rows, which keep them as the request specs do.
    world.instance("cell1", display_name="first", key_name="deploy-key",
                   display_description="web tier")
    world.instance("cell2", display_name="second", key_name="other",
                   display_description="db tier")
    assert _names(client, "key_name=^deploy", headers=_v(ALICE, "2.83")) == ["first"]
    # Before 2.83 only administrators filter by key name.
    assert len(_names(client, "key_name=^deploy", headers=_v(ALICE, "2.82"))) == 2
    assert _names(client, "description=db&all_tenants=1", headers=ADMIN) == ["second"]
    assert len(_names(client, "description=db", headers=_v(ALICE, "2.83"))) == 2


def test_time_filters(client, world):
    launched = datetime.datetime(2024, 3, 1, 12, 0, 0)
    world.instance("cell1", display_name="early", created_at=START)
    world.instance("cell2", display_name="late", created_at=START + DAY,
                   launched_at=launched)
    member = _v(ALICE, "2.83")
    assert _names(client, "created_at=2024-01-02T00:00:00Z", member) == ["late"]
    assert _names(client, "launched_at=2024-03-01T12:00:00", member) == ["late"]
    assert _names(client, "terminated_at=2024-03-01T12:00:00", member) == []
    assert len(_names(client, "created_at=2024-01-02T00:00:00Z", _v(ALICE, "2.82"))) == 2


def test_locked_filter_from_2_73(client, world):
    world.instance("cell1", display_name="locked", locked=True, locked_by="owner")
    world.instance("cell2", display_name="free")
    assert _names(client, "locked=true", _v(ALICE, "2.73")) == ["locked"]
    assert _names(client, "locked=false", _v(ALICE, "2.73")) == ["free"]
    assert client.get("/v2.1/servers?locked=true",
                      headers=_v(ALICE, "2.75")).status_code == 200


def test_build_requests_are_sorted_and_filtered_with_placed_servers(client, world, fleet):
    world.flavor()
    image = world.image()
    body = {"server": {"name": "building", "flavorRef": "1", "imageRef": image.uuid}}
    building = client.post("/v2.1/servers", json=body, headers=ALICE).json["server"]["id"]
    names = _names(client, "sort_key=display_name&sort_dir=asc")
    assert names == ["Foxtrot", "alpha", "bravo", "building", "charlie", "delta", "echo"]
    assert _names(client, "name=^b&sort_key=display_name&sort_dir=desc") == [
        "building", "bravo"]
    after = client.get(f"/v2.1/servers?sort_key=display_name&sort_dir=asc&marker={building}",
                       headers=ALICE).json["servers"]
    assert [server["name"] for server in after] == ["charlie", "delta", "echo"]
