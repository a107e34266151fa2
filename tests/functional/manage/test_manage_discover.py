"""cellar-manage host discover: backfill host mappings from the cells' compute services."""

from __future__ import annotations

import json

import pytest

from api_cell.manage import EXIT_REFUSED, EXIT_UNREACHABLE
from db.api import cells as api_cells
from db.api import hosts as api_hosts
from db.cell import services as cell_services


@pytest.fixture
def cells(api_db, cell_dbs) -> dict[str, api_cells.Cell]:
    found = {"cell0": api_cells.create(api_db, "cell0", cell_dbs["cell0"],
                                       cell_uuid=api_cells.CELL0_UUID)}
    for name in ("cell1", "cell2"):
        found[name] = api_cells.create(api_db, name, cell_dbs[name])
    return found


def register(cell: api_cells.Cell, host: str) -> None:
    cell_services.register_compute(cell.database_connection, host, f"{host}:7000", 1,
                                   "QEMU", 4, 4096, 40)


def mappings(api_db) -> dict[str, str]:
    return {h.host: h.cell_name for h in api_hosts.list_all(api_db)}


def test_discover_maps_unmapped_hosts_once(api_db, cells, cellar_manage, capsys):
    for host in ("a1", "a2"):
        register(cells["cell1"], host)
    register(cells["cell2"], "b1")
    api_hosts.ensure(api_db, "a1", cells["cell1"].uuid)

    assert cellar_manage("host", "discover") == 0
    printed = capsys.readouterr().out
    assert "host a2 in cell cell1: mapped" in printed
    assert "host b1 in cell cell2: mapped" in printed
    assert "a1" not in printed
    assert "2 host(s) mapped" in printed
    assert mappings(api_db) == {"a1": "cell1", "a2": "cell1", "b1": "cell2"}

    assert cellar_manage("host", "discover", "--json") == 0
    assert json.loads(capsys.readouterr().out) == []


def test_discover_one_cell(api_db, cells, cellar_manage, capsys):
    register(cells["cell1"], "a1")
    register(cells["cell2"], "b1")
    assert cellar_manage("host", "discover", "--cell", "cell2", "--json") == 0
    assert json.loads(capsys.readouterr().out) == [
        {"host": "b1", "cell": "cell2", "result": "mapped"}]
    assert mappings(api_db) == {"b1": "cell2"}


def test_discover_reports_a_host_owned_by_another_cell(api_db, cells, cellar_manage, capsys):
    register(cells["cell2"], "moved")
    register(cells["cell2"], "new")
    api_hosts.ensure(api_db, "moved", cells["cell1"].uuid)
    assert cellar_manage("host", "discover") == EXIT_REFUSED
    printed = capsys.readouterr().out
    assert "host moved in cell cell2: conflict: host moved is mapped to cell cell1" in printed
    assert mappings(api_db) == {"moved": "cell1", "new": "cell2"}


def test_discover_refuses_unknown_cell(api_db, cells, cellar_manage, capsys):
    assert cellar_manage("host", "discover", "--cell", "cell7") == EXIT_REFUSED
    assert "no cell named 'cell7'" in capsys.readouterr().err


def test_discover_goes_on_past_a_dead_cell(api_db, cells, cellar_manage, capsys):
    api_cells.create(api_db, "dead", "mysql+pymysql://root@127.0.0.1:1/nowhere")
    register(cells["cell1"], "a1")
    assert cellar_manage("host", "discover") == EXIT_UNREACHABLE
    assert "cell dead: cell database did not answer" in capsys.readouterr().out
    assert mappings(api_db) == {"a1": "cell1"}


def test_host_list_of_one_cell_and_unknown_cell(api_db, cells, cellar_manage, capsys):
    api_hosts.ensure(api_db, "a1", cells["cell1"].uuid)
    api_hosts.ensure(api_db, "b1", cells["cell2"].uuid)
    assert cellar_manage("host", "list", "--cell", "cell2", "--json") == 0
    assert [h["host"] for h in json.loads(capsys.readouterr().out)] == ["b1"]
    assert cellar_manage("host", "list", "--cell", "cell9") == EXIT_REFUSED
    assert "no cell named 'cell9'" in capsys.readouterr().err
