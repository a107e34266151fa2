"""GET /os-migrations: every cell's migration records, merged (2.59, 2.66, 2.80)."""

from __future__ import annotations

import datetime
import uuid

import pytest

from db.cell import migration_records
from tests.functional.api.api_world import ADMIN, ALICE


def v(version: str, headers: dict) -> dict:
    return {**headers, "OpenStack-API-Version": f"compute {version}"}


@pytest.fixture
def moves(world):
    """Four migrations over two cells, a day apart (oldest first), and a hidden one."""
    made = []
    for day, (cell, kind, source) in enumerate([("cell1", "migration", "h1"),
                                                ("cell2", "resize", "h2"),
                                                ("cell1", "live-migration", "h3"),
                                                ("cell2", "evacuation", "h1")]):
        moment = datetime.datetime(2024, 1, 1 + day)
        made.append(migration_records.create(
            world.cells[cell].database_connection, str(uuid.uuid4()), kind, "finished",
            source_compute=source, dest_compute="h9", user_id="alice",
            project_id="project-a" if day % 2 == 0 else "project-b",
            created_at=moment, updated_at=moment + datetime.timedelta(hours=1)))
    migration_records.create(world.cells["cell1"].database_connection, str(uuid.uuid4()),
                             "migration", "finished", hidden=True)
    return made


def _uuids(client, query="", version="2.80"):
    reply = client.get(f"/v2.1/os-migrations{query}", headers=v(version, ADMIN))
    assert reply.status_code == 200, reply.json
    return [m["uuid"] for m in reply.json["migrations"]]


def test_list_merges_cells_newest_first(client, moves):
    assert _uuids(client) == [m.uuid for m in reversed(moves)]
    old = client.get("/v2.1/os-migrations", headers=v("2.58", ADMIN)).json["migrations"]
    assert len(old) == 4 and "uuid" not in old[0] and old[0]["migration_type"]
    assert "migration_type" not in client.get("/v2.1/os-migrations",
                                              headers=ADMIN).json["migrations"][0]
    new = client.get("/v2.1/os-migrations", headers=v("2.80", ADMIN)).json["migrations"][0]
    assert new["user_id"] == "alice" and new["project_id"] == "project-b"
    assert "user_id" not in client.get("/v2.1/os-migrations",
                                       headers=v("2.79", ADMIN)).json["migrations"][0]
    assert client.get("/v2.1/os-migrations", headers=ALICE).status_code == 403


def test_filters(client, moves):
    assert _uuids(client, "?host=h1") == [moves[3].uuid, moves[0].uuid]
    assert _uuids(client, "?migration_type=resize") == [moves[1].uuid]
    assert _uuids(client, f"?instance_uuid={moves[2].instance_uuid}") == [moves[2].uuid]
    assert _uuids(client, "?project_id=project-a") == [moves[2].uuid, moves[0].uuid]
    assert len(client.get("/v2.1/os-migrations?project_id=project-a",
                          headers=v("2.58", ADMIN)).json["migrations"]) == 4
    assert client.get("/v2.1/os-migrations?project_id=project-a",
                      headers=v("2.79", ADMIN)).status_code == 400
    assert _uuids(client, "?changes-since=2024-01-03T00:00:00") == [moves[3].uuid,
                                                                   moves[2].uuid]
    assert _uuids(client, "?changes-before=2024-01-02T02:00:00Z") == [moves[1].uuid,
                                                                     moves[0].uuid]
    assert client.get("/v2.1/os-migrations?changes-before=2024-01-02T02:00:00Z",
                      headers=v("2.65", ADMIN)).status_code == 400
    assert len(_uuids(client, "?changes-since=2024-01-03T00:00:00", "2.59")) == 2
    for query in ("?bogus=1", "?changes-since=soon",
                  "?changes-since=2024-02-01T00:00:00&changes-before=2024-01-01T00:00:00"):
        assert client.get(f"/v2.1/os-migrations{query}",
                          headers=v("2.80", ADMIN)).status_code == 400
    assert client.get("/v2.1/os-migrations?bogus=1", headers=v("2.58", ADMIN)).status_code \
        == 200


def test_paging_across_cells(client, moves):
    page = client.get("/v2.1/os-migrations?limit=3", headers=v("2.59", ADMIN)).json
    assert [m["uuid"] for m in page["migrations"]] == [m.uuid for m in moves[:0:-1]]
    marker = page["migrations_links"][0]["href"].split("marker=")[1]
    assert marker == moves[1].uuid
    rest = client.get(f"/v2.1/os-migrations?limit=3&marker={marker}",
                      headers=v("2.59", ADMIN)).json
    assert [m["uuid"] for m in rest["migrations"]] == [moves[0].uuid]
    assert "migrations_links" not in rest
    assert client.get(f"/v2.1/os-migrations?marker={uuid.uuid4()}",
                      headers=v("2.59", ADMIN)).status_code == 400


def test_no_migrations_is_an_empty_list(client, world):
    assert client.get("/v2.1/os-migrations", headers=ADMIN).json == {"migrations": []}
