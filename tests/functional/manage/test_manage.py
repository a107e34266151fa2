"""cellar-manage against the real MariaDB: db sync, cells, hosts, exit codes."""

from __future__ import annotations

import json
import uuid

import pytest

from api_cell.manage import EXIT_REFUSED, EXIT_UNREACHABLE
from api_cell.manage import cmd as manage
from db import migrate
from db.api import cells as api_cells
from db.api import hosts as api_hosts
from db.api import instances as api_instances
from db.cell import instances as cell_instances


@pytest.fixture
def conf_file(tmp_path, api_db, placement_db, database_url):
    """A configuration file naming the test's API and placement databases."""
    cell0 = database_url("manage_cell0")
    path = tmp_path / "cellar.conf"
    path.write_text(f"[api_database]\nconnection = {api_db}\n"
                    f"[placement_database]\nconnection = {placement_db}\n")
    return str(path), cell0


def run(conf_path: str, *args: str) -> int:
    return manage.main(["--config-file", conf_path, *args])


def test_db_sync_creates_cell0_once(conf_file, api_db, capsys):
    path, cell0_url = conf_file
    assert run(path, "cell", "create-cell0", "--database-url", cell0_url) == 0
    assert run(path, "db", "sync") == 0
    assert run(path, "db", "sync") == 0
    cells = api_cells.list_all(api_db)
    assert [c.name for c in cells] == ["cell0"]
    assert cells[0].uuid == api_cells.CELL0_UUID
    assert migrate.current_revision(cell0_url) == migrate.head_revision("cell")


def test_cell_create_list_and_duplicate(conf_file, api_db, database_url, capsys):
    path, _ = conf_file
    url = database_url(f"manage_{uuid.uuid4().hex[:6]}")
    assert run(path, "cell", "create", "--name", "cellA", "--database-url", url) == 0
    assert migrate.current_revision(url) == migrate.head_revision("cell")
    assert run(path, "cell", "create", "--name", "cellA", "--database-url", url) == EXIT_REFUSED
    assert "exists already" in capsys.readouterr().err
    assert run(path, "cell", "list", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [c["name"] for c in listed] == ["cellA"]


def test_unreachable_cell_database_is_exit_3(conf_file, api_db, capsys):
    path, _ = conf_file
    code = run(path, "cell", "create", "--name", "far",
               "--database-url", "mysql+pymysql://root@127.0.0.1:1/nowhere")
    assert code == EXIT_UNREACHABLE
    assert "cannot reach" in capsys.readouterr().err
    assert api_cells.list_all(api_db) == []


def test_bad_database_url_is_refused(conf_file, capsys):
    path, _ = conf_file
    assert run(path, "cell", "create", "--name", "x", "--database-url", "::nonsense") == \
        EXIT_REFUSED


def test_host_list_shows_mapped_hosts(conf_file, api_db, cell_dbs, capsys):
    path, _ = conf_file
    cell = api_cells.create(api_db, "cell1", cell_dbs["cell1"])
    api_hosts.ensure(api_db, "hostA", cell.uuid)
    capsys.readouterr()
    assert run(path, "host", "list", "--json") == 0
    assert json.loads(capsys.readouterr().out) == [
        {"host": "hostA", "cell": "cell1", "cell_uuid": cell.uuid}]


def test_missing_api_database_option_is_refused(tmp_path, capsys):
    path = tmp_path / "empty.conf"
    path.write_text("")
    assert run(str(path), "cell", "list") == EXIT_REFUSED
    assert "[api_database] connection" in capsys.readouterr().err


def test_cell_disable_enable_update_show(conf_file, api_db, cell_dbs, capsys):
    path, _ = conf_file
    cell = api_cells.create(api_db, "cell1", cell_dbs["cell1"])
    assert run(path, "cell", "disable", "cell1") == 0
    assert api_cells.get(api_db, cell.uuid).disabled
    assert run(path, "cell", "enable", cell.uuid) == 0
    assert not api_cells.get(api_db, cell.uuid).disabled
    assert run(path, "cell", "update", "cell1", "--name", "east",
               "--queue-url", "redis://127.0.0.1:6379/3") == 0
    capsys.readouterr()
    assert run(path, "cell", "show", "east", "--json") == 0
    [shown] = json.loads(capsys.readouterr().out)
    assert (shown["uuid"], shown["queue"], shown["hosts"], shown["instances"]) == (
        cell.uuid, "redis://127.0.0.1:6379/3", 0, 0)
    assert run(path, "cell", "update", "east") == EXIT_REFUSED
    assert run(path, "cell", "show", "cell1") == EXIT_REFUSED


def test_cell_delete_refused_with_hosts_unless_forced(conf_file, api_db, cell_dbs, capsys):
    path, _ = conf_file
    cell = api_cells.create(api_db, "cell1", cell_dbs["cell1"])
    api_hosts.ensure(api_db, "h1", cell.uuid)
    assert run(path, "cell", "delete", "cell1") == EXIT_REFUSED
    assert "h1" in capsys.readouterr().err
    assert run(path, "cell", "delete", "cell1", "--force") == 0
    assert api_cells.list_all(api_db) == []
    assert api_hosts.list_all(api_db) == []


def test_cell_delete_refused_with_instances_even_forced(conf_file, api_db, cell_dbs, capsys):
    path, _ = conf_file
    cell = api_cells.create(api_db, "cell1", cell_dbs["cell1"])
    api_instances.create_build(api_db, "11111111-2222-3333-4444-555555555555", "p", "u",
                               {}, {})
    assert api_instances.place(api_db, "11111111-2222-3333-4444-555555555555", cell.id)
    assert run(path, "cell", "delete", "cell1", "--force") == EXIT_REFUSED
    assert "1 instance" in capsys.readouterr().err
    assert [c.name for c in api_cells.list_all(api_db)] == ["cell1"]


def test_host_delete_refused_while_instances_run(conf_file, api_db, cell_dbs, capsys):
    path, _ = conf_file
    cell = api_cells.create(api_db, "cell1", cell_dbs["cell1"])
    api_hosts.ensure(api_db, "h1", cell.uuid)
    cell_instances.create(cell_dbs["cell1"], uuid="11111111-2222-3333-4444-555555555555",
                          project_id="p", user_id="u", display_name="vm", flavor={},
                          vm_state="active", host="h1")
    assert run(path, "host", "delete", "h1") == EXIT_REFUSED
    cell_instances.soft_delete(cell_dbs["cell1"], "11111111-2222-3333-4444-555555555555")
    assert run(path, "host", "delete", "h1") == 0
    assert api_hosts.list_all(api_db) == []
    assert run(path, "host", "delete", "h1") == EXIT_REFUSED
