"""cellar-manage status upgrade-check over real databases: each check and the exit code."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest

from api_cell.manage import cmd
from db.api import cells as api_cells
from db.api import hosts as api_hosts
from db.api import instances as api_instances
from db.cell import instances as cell_instances
from db.cell import services as cell_services

DEAD_URL = "mysql+pymysql://root@127.0.0.1:1/nowhere"


@pytest.fixture
def healthy(api_db, cell_dbs) -> api_cells.Cell:
    """cell0 and cell1; cell1 has a mapped host running one mapped server."""
    api_cells.create(api_db, "cell0", cell_dbs["cell0"], cell_uuid=api_cells.CELL0_UUID)
    cell1 = api_cells.create(api_db, "cell1", cell_dbs["cell1"])
    add_host(cell1, "h1")
    api_hosts.ensure(api_db, "h1", cell1.uuid)
    instance_uuid = add_server(cell1)
    api_instances.create_build(api_db, instance_uuid, "p", "u", {}, {})
    api_instances.place(api_db, instance_uuid, cell1.id)
    return cell1


def add_host(cell: api_cells.Cell, host: str, version: int = 1) -> None:
    cell_services.register_compute(cell.database_connection, host, f"{host}:1", version,
                                   "QEMU", 1, 512, 10)


def add_server(cell: api_cells.Cell) -> str:
    instance_uuid = str(uuid.uuid4())
    cell_instances.create(cell.database_connection, uuid=instance_uuid, project_id="p",
                          user_id="u", display_name="vm", flavor={}, vm_state="active",
                          created_at=datetime.datetime(2026, 1, 1))
    return instance_uuid


def check(cellar_manage, capsys, *extra: str) -> tuple[int, dict[str, dict]]:
    code = cellar_manage("status", "upgrade-check", "--json", *extra)
    return code, {r["check"]: r for r in json.loads(capsys.readouterr().out)}


def results(found: dict[str, dict]) -> dict[str, str]:
    return {name: row["result"] for name, row in found.items()}


def test_healthy_deployment_passes_every_check(healthy, cellar_manage, capsys):
    code, found = check(cellar_manage, capsys)
    assert code == 0, found
    assert results(found) == {name: "Success" for name in (
        "Database schemas", "Cell0", "Cells", "Cell databases reachable",
        "Compute services", "Host mappings", "Instance mappings")}
    assert "cell cell1: 1 host(s), version 1" in found["Compute services"]["details"]
    assert cellar_manage("status", "upgrade-check") == 0
    assert "| Cell0 " in capsys.readouterr().out


def test_no_cell_besides_cell0_fails(api_db, cell_dbs, cellar_manage, capsys):
    api_cells.create(api_db, "cell0", cell_dbs["cell0"], cell_uuid=api_cells.CELL0_UUID)
    code, found = check(cellar_manage, capsys)
    assert code == 2
    assert found["Cells"]["result"] == "Failure"
    assert found["Cell0"]["result"] == "Success"


def test_missing_cell0_and_all_cells_disabled(api_db, cell_dbs, cellar_manage, capsys):
    api_cells.create(api_db, "cell1", cell_dbs["cell1"], disabled=True)
    code, found = check(cellar_manage, capsys)
    assert code == 2
    assert (found["Cell0"]["result"], found["Cells"]["result"]) == ("Failure", "Warning")


def test_unreachable_cell_fails_without_hanging(healthy, api_db, cellar_manage, capsys):
    api_cells.create(api_db, "dead", DEAD_URL)
    code, found = check(cellar_manage, capsys, "--timeout", "1")
    assert code == 2
    assert found["Cell databases reachable"]["result"] == "Failure"
    assert "cell dead did not answer" in found["Cell databases reachable"]["details"]
    assert found["Instance mappings"]["result"] == "Success"


def test_unmapped_host_and_mixed_versions_warn(healthy, api_db, cellar_manage, capsys):
    add_host(healthy, "h2", version=2)
    code, found = check(cellar_manage, capsys)
    assert code == 1
    assert found["Host mappings"]["result"] == "Warning"
    assert "h2 (cell cell1)" in found["Host mappings"]["details"]
    assert "host discover" in found["Host mappings"]["details"]
    assert found["Compute services"]["result"] == "Warning"
    assert "versions 1, 2" in found["Compute services"]["details"]


def test_cell_without_hosts_warns(healthy, api_db, cell_dbs, cellar_manage, capsys):
    api_cells.create(api_db, "cell2", cell_dbs["cell2"])
    code, found = check(cellar_manage, capsys)
    assert code == 1
    assert "cell cell2 has no compute host" in found["Compute services"]["details"]


def test_unmapped_server_fails(healthy, cellar_manage, capsys):
    add_server(healthy)
    code, found = check(cellar_manage, capsys)
    assert code == 2
    assert found["Instance mappings"]["result"] == "Failure"
    assert "instance map --cell cell1" in found["Instance mappings"]["details"]


def test_cell_schema_behind_fails(healthy, api_db, fresh_database, cellar_manage, capsys):
    api_cells.create(api_db, "blank", fresh_database())
    code, found = check(cellar_manage, capsys)
    assert code == 2
    assert "cell blank is at no revision" in found["Database schemas"]["details"]


def run_with_api(tmp_path, api_url: str, *args: str) -> int:
    path = tmp_path / "other.conf"
    path.write_text(f"[api_database]\nconnection = {api_url}\n")
    return cmd.main(["--config-file", str(path), "status", "upgrade-check", *args])


def test_unreachable_api_database_is_an_error(tmp_path, capsys):
    assert run_with_api(tmp_path, DEAD_URL, "--timeout", "1") == 255
    assert "the API database did not answer" in capsys.readouterr().err


def test_empty_api_database_fails_the_schema_check(tmp_path, fresh_database, capsys):
    assert run_with_api(tmp_path, fresh_database(), "--json") == 2
    found = {r["check"]: r for r in json.loads(capsys.readouterr().out)}
    assert found["Database schemas"]["result"] == "Failure"
    assert found["Placement database"]["result"] == "Warning"


def test_bad_timeout_is_an_error(healthy, cellar_manage, capsys):
    assert cellar_manage("status", "upgrade-check", "--timeout", "0") == 255
    assert "--timeout must be positive" in capsys.readouterr().err
