"""cellar-manage db sync --cell, db version, and cell0 (re)mapping on real MariaDB."""

from __future__ import annotations

import json

from api_cell.manage import EXIT_REFUSED
from db import migrate
from db.api import cells as api_cells

CELL_HEAD = migrate.head_revision("cell")


def test_db_sync_cell_alone_syncs_only_that_cell(api_db, fresh_database, cellar_manage,
                                                 capsys):
    target, other = fresh_database(), fresh_database()
    api_cells.create(api_db, "cell1", target)
    api_cells.create(api_db, "cell2", other)
    assert cellar_manage("db", "sync", "--cell", "cell1") == 0
    assert capsys.readouterr().out == "cell cell1 database synced\n"
    assert migrate.current_revision(target) == CELL_HEAD
    assert migrate.current_revision(other) is None
    assert [c.name for c in api_cells.list_all(api_db)] == ["cell1", "cell2"]


def test_db_sync_cell_refusals(api_db, cellar_manage, capsys):
    assert cellar_manage("db", "sync", "--cell", "ghost") == EXIT_REFUSED
    assert "no cell named 'ghost'" in capsys.readouterr().err
    assert cellar_manage("db", "sync", "--cell", "ghost", "--only", "api") == EXIT_REFUSED
    assert "cannot go with --only api" in capsys.readouterr().err


def test_db_version_json_shows_every_database(api_db, cell_dbs, fresh_database,
                                              cellar_manage, capsys):
    api_cells.create(api_db, "cell1", cell_dbs["cell1"])
    api_cells.create(api_db, "new", fresh_database())
    api_cells.create(api_db, "far", "mysql+pymysql://root@127.0.0.1:1/nowhere")
    assert cellar_manage("db", "version", "--json") == 0
    rows = {r["database"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(rows) == {"placement", "api", "cell cell1", "cell new", "cell far"}
    assert rows["api"] == {"database": "api", "schema": "api",
                           "current": migrate.head_revision("api"),
                           "head": migrate.head_revision("api"), "at_head": True}
    assert rows["placement"]["at_head"] and rows["cell cell1"]["at_head"]
    assert (rows["cell new"]["current"], rows["cell new"]["at_head"]) == ("empty", False)
    assert (rows["cell far"]["current"], rows["cell far"]["head"]) == ("unreachable",
                                                                       CELL_HEAD)
    assert cellar_manage("db", "version") == 0
    assert "| cell cell1 | cell" in capsys.readouterr().out


def test_create_cell0_is_idempotent_and_refuses_another_url(api_db, fresh_database,
                                                           cellar_manage, capsys):
    first, second = fresh_database(), fresh_database()
    assert cellar_manage("cell", "create-cell0", "--database-url", first) == 0
    assert cellar_manage("cell", "create-cell0", "--database-url", first) == 0
    assert "cell0 exists already" in capsys.readouterr().out
    assert cellar_manage("cell", "create-cell0", "--database-url", second) == EXIT_REFUSED
    assert "cell update cell0 --database-url" in capsys.readouterr().err
    assert cellar_manage("cell", "create-cell0", "--database-url", "::bad") == EXIT_REFUSED
    assert api_cells.get(api_db, "cell0").database_connection == first


def test_cell0_is_remapped_with_update_and_keeps_its_name(api_db, fresh_database,
                                                        cellar_manage, capsys):
    first, second = fresh_database(), fresh_database()
    assert cellar_manage("cell", "create-cell0", "--database-url", first) == 0
    assert cellar_manage("cell", "update", "cell0", "--database-url", second) == 0
    cell0 = api_cells.get(api_db, api_cells.CELL0_UUID)
    assert (cell0.name, cell0.database_connection) == ("cell0", second)
    assert migrate.current_revision(second) == CELL_HEAD
    assert cellar_manage("cell", "update", "cell0", "--name", "zero") == EXIT_REFUSED
    assert "cell0 keeps its name" in capsys.readouterr().err
