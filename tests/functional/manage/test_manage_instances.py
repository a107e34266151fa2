"""cellar-manage instance map / verify / list against real MariaDB databases."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest

from api_cell.manage import EXIT_REFUSED
from db import errors as db_errors
from db.api import cells as api_cells
from db.api import instances as api_instances
from db.cell import instances as cell_instances

BASE = datetime.datetime(2026, 1, 1, 12, 0, 0)


@pytest.fixture
def cell1(api_db, cell_dbs) -> api_cells.Cell:
    api_cells.create(api_db, "cell0", cell_dbs["cell0"], cell_uuid=api_cells.CELL0_UUID)
    return api_cells.create(api_db, "cell1", cell_dbs["cell1"])


def server(cell: api_cells.Cell, minute: int, project: str = "proj", **fields) -> str:
    """A live server row in the cell, created ``minute`` minutes after BASE."""
    instance_uuid = str(uuid.uuid4())
    cell_instances.create(cell.database_connection, uuid=instance_uuid, project_id=project,
                          user_id=f"user-{project}", display_name=f"vm{minute}", flavor={},
                          vm_state="active", host="h1",
                          created_at=BASE + datetime.timedelta(minutes=minute), **fields)
    return instance_uuid


def mapped_in_api(api_db, cell: api_cells.Cell, instance_uuid: str) -> None:
    api_instances.create_build(api_db, instance_uuid, "proj", "user-proj", {}, {})
    assert api_instances.place(api_db, instance_uuid, cell.id)


def test_map_backfills_missing_mappings_with_their_sort_keys(api_db, cell1, cellar_manage,
                                                             capsys):
    unmapped = [server(cell1, minute, project=f"p{minute}") for minute in range(5)]
    already = server(cell1, 10)
    mapped_in_api(api_db, cell1, already)
    gone = server(cell1, 11)
    cell_instances.soft_delete(cell1.database_connection, gone)

    assert cellar_manage("instance", "map", "--cell", "cell1", "--batch-size", "2") == 0
    printed = capsys.readouterr().out
    assert "5 server(s) of cell cell1 mapped" in printed
    for minute, instance_uuid in enumerate(unmapped):
        mapping = api_instances.get_mapping(api_db, instance_uuid)
        assert (mapping.cell_id, mapping.project_id, mapping.user_id,
                mapping.queued_for_delete, mapping.created_at) == (
            cell1.id, f"p{minute}", f"user-p{minute}", False,
            BASE + datetime.timedelta(minutes=minute))
    with pytest.raises(db_errors.NotFound):
        api_instances.get_mapping(api_db, gone)
    # The global list, chosen from mappings alone, sorts them as their cell rows do.
    assert [m.instance_uuid for m in api_instances.page(api_db, 10)] == \
        [already, *reversed(unmapped)]


def test_map_is_idempotent_and_prints_json(api_db, cell1, cellar_manage, capsys):
    first = server(cell1, 1)
    assert cellar_manage("instance", "map", "--cell", cell1.uuid, "--json") == 0
    assert json.loads(capsys.readouterr().out) == [
        {"uuid": first, "project_id": "proj", "cell": "cell1"}]
    assert cellar_manage("instance", "map", "--cell", "cell1", "--json") == 0
    assert json.loads(capsys.readouterr().out) == []
    assert api_instances.count_in_cell(api_db, cell1.id) == 1


def test_add_mappings_skips_a_mapping_a_racer_inserted(api_db, cell1):
    racing, fresh = server(cell1, 1), server(cell1, 2)
    mapped_in_api(api_db, cell1, racing)
    wanted = [api_instances.Mapping(u, cell1.id, "proj", "user-proj", False,
                                    BASE) for u in (racing, fresh)]
    assert api_instances.add_mappings(api_db, wanted) == [fresh]
    assert api_instances.mapped_uuids(api_db, [racing, fresh]) == {racing, fresh}


def test_map_refuses_unknown_cell_and_bad_batch(api_db, cell1, cellar_manage, capsys):
    assert cellar_manage("instance", "map", "--cell", "nowhere") == EXIT_REFUSED
    assert "no cell named 'nowhere' (cells: cell0, cell1)" in capsys.readouterr().err
    assert cellar_manage("instance", "map", "--cell", "cell1", "--batch-size", "0") == \
        EXIT_REFUSED
    assert "--batch-size must be at least 1" in capsys.readouterr().err


def test_verify_exit_codes(api_db, cell1, cellar_manage, capsys):
    mapped = server(cell1, 1)
    mapped_in_api(api_db, cell1, mapped)
    assert cellar_manage("instance", "verify", mapped) == 0
    assert f"is in cell cell1 ({cell1.uuid})" in capsys.readouterr().out

    unmapped = server(cell1, 2)
    assert cellar_manage("instance", "verify", unmapped) == 1
    assert "instance map --cell cell1" in capsys.readouterr().out
    assert cellar_manage("instance", "verify", str(uuid.uuid4())) == 1
    assert "no cell holds it" in capsys.readouterr().out

    building = str(uuid.uuid4())
    api_instances.create_build(api_db, building, "proj", "user", {}, {})
    assert cellar_manage("instance", "verify", building) == 2

    deleting = server(cell1, 3)
    mapped_in_api(api_db, cell1, deleting)
    api_instances.mark_queued_for_delete(api_db, deleting)
    assert cellar_manage("instance", "verify", deleting) == 3
    soft_deleted = server(cell1, 4)
    mapped_in_api(api_db, cell1, soft_deleted)
    cell_instances.soft_delete(cell1.database_connection, soft_deleted)
    assert cellar_manage("instance", "verify", soft_deleted) == 3

    purged = server(cell1, 5)
    mapped_in_api(api_db, cell1, purged)
    cell_instances.purge(cell1.database_connection, purged)
    capsys.readouterr()
    assert cellar_manage("instance", "verify", purged, "--json") == 4
    assert json.loads(capsys.readouterr().out) == {
        "uuid": purged, "code": 4, "cell": "cell1", "cell_uuid": cell1.uuid,
        "message": f"server {purged} is mapped to cell cell1, which has no record of it"}


def test_verify_refuses_a_non_uuid_and_reports_a_dead_cell(api_db, cell1, cellar_manage,
                                                           capsys):
    assert cellar_manage("instance", "verify", "not-a-uuid") == EXIT_REFUSED
    assert "is not a uuid" in capsys.readouterr().err
    far = api_cells.create(api_db, "far", "mysql+pymysql://root@127.0.0.1:1/nowhere")
    stranded = str(uuid.uuid4())
    mapped_in_api(api_db, far, stranded)
    assert cellar_manage("instance", "verify", stranded) == 255
    assert "did not answer" in capsys.readouterr().out


def test_list_shows_newest_first_with_mapping_state(api_db, cell1, cellar_manage, capsys):
    older, newer, newest = server(cell1, 1), server(cell1, 2), server(cell1, 3)
    mapped_in_api(api_db, cell1, newest)
    assert cellar_manage("instance", "list", "--cell", "cell1", "--limit", "2",
                         "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["uuid"], r["mapped"], r["name"]) for r in listed] == [
        (newest, "yes", "vm3"), (newer, "no", "vm2")]
    assert cellar_manage("instance", "list", "--cell", "cell1") == 0
    table = capsys.readouterr().out
    assert older in table and "| mapped" in table
    assert cellar_manage("instance", "list", "--cell", "cell9") == EXIT_REFUSED
    assert cellar_manage("instance", "list", "--cell", "cell1", "--limit", "0") == \
        EXIT_REFUSED
