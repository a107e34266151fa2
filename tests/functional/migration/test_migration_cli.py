"""``cellar-manage cell migrate-instance`` and ``cell drain``: refusals, exit codes, output."""

from __future__ import annotations

import uuid

import pytest
import redis

from api_cell.manage import EXIT_OK, EXIT_REFUSED, EXIT_UNREACHABLE, EXIT_USAGE
from api_cell.manage import migration as manage_migration
from api_cell.superconductor.cell_migration import migration_uuid_for
from common import states, tasks
from db.api import cells as api_cells
from db.cell import instances as cell_instances


def _nothing_queued(world) -> bool:
    return world.redis.xlen(tasks.build_stream_key(world.prefix)) == 0


@pytest.mark.parametrize("target, message", [
    ("cell0", "cell0 cannot take servers"),
    ("cell1", "the server is in cell cell1 already"),
    ("nowhere", "no cell named 'nowhere'"),
])
def test_migrate_refuses_a_bad_target(world, capsys, target, message):
    [server] = world.boot()
    capsys.readouterr()
    assert world.manage("cell", "migrate-instance", server, "--to-cell", target) == \
        EXIT_REFUSED
    assert message in capsys.readouterr().err
    world.assert_lives_only_in(server, "cell1")
    assert "migrate" not in world.actions("cell1", server)


def test_migrate_refuses_a_disabled_target_and_a_busy_or_unknown_server(world, capsys):
    [server] = world.boot()
    api_cells.update(world.api_db, "cell2", disabled=True)
    capsys.readouterr()
    assert world.manage("cell", "migrate-instance", server, "--to-cell", "cell2") == \
        EXIT_REFUSED
    assert "cell cell2 is disabled" in capsys.readouterr().err
    api_cells.update(world.api_db, "cell2", disabled=False)

    cell1 = world.cells["cell1"].database_connection
    cell_instances.update(cell1, server, task_state=states.REBOOTING)
    assert world.manage("cell", "migrate-instance", server, "--to-cell", "cell2") == \
        EXIT_REFUSED
    assert "only an active or stopped server with no task running can move" in \
        capsys.readouterr().err
    assert cell_instances.get(cell1, server).task_state == states.REBOOTING

    missing = str(uuid.uuid4())
    assert world.manage("cell", "migrate-instance", missing, "--to-cell", "cell2") == \
        EXIT_REFUSED
    assert f"no server {missing}" in capsys.readouterr().err
    assert _nothing_queued(world)


def test_a_move_that_cannot_be_queued_gives_the_server_back(world, capsys, monkeypatch,
                                                           os_migrations):
    [server] = world.boot()

    class Down:
        def add(self, *_args):
            raise redis.ConnectionError("redis is down")

    monkeypatch.setattr(manage_migration, "_stream", lambda _conf: Down())
    capsys.readouterr()

    assert world.manage("cell", "migrate-instance", server, "--to-cell", "cell2") == \
        EXIT_UNREACHABLE

    assert "cannot queue the move: redis is down" in capsys.readouterr().err
    world.assert_lives_only_in(server, "cell1")
    [record] = os_migrations()
    assert (record["uuid"], record["status"], record["source_compute"],
            record["dest_compute"]) == (
        migration_uuid_for(server, world.action_request_id(server)), "error",
        "cell1-host", None)


def test_migrate_without_target_is_a_usage_error(world):
    with pytest.raises(SystemExit) as exited:
        world.manage("cell", "migrate-instance", str(uuid.uuid4()))
    assert exited.value.code == EXIT_USAGE


@pytest.mark.parametrize("source, target, message", [
    ("cell1", "cell1", "the target cell is the cell being drained"),
    ("cell1", "cell0", "cell0 cannot take servers"),
    ("cell0", "cell2", "cell0 holds servers that never reached a host"),
    ("cell1", "nowhere", "no cell named 'nowhere'"),
])
def test_drain_refuses_bad_cells(world, capsys, source, target, message):
    assert world.manage("cell", "drain", source, "--to-cell", target) == EXIT_REFUSED
    assert message in capsys.readouterr().err
    assert _nothing_queued(world)


def test_drain_refuses_a_disabled_target(world, capsys):
    api_cells.update(world.api_db, "cell2", disabled=True)
    assert world.manage("cell", "drain", "cell1", "--to-cell", "cell2") == EXIT_REFUSED
    assert "cell cell2 is disabled" in capsys.readouterr().err


def test_drain_exits_non_zero_when_a_server_cannot_move(world, capsys):
    servers = world.boot(3)
    cell1 = world.cells["cell1"].database_connection
    stuck = servers[1]
    cell_instances.update(cell1, stuck, vm_state=states.ERROR)
    api_cells.update(world.api_db, "cell1", disabled=True)
    capsys.readouterr()

    assert world.manage("cell", "drain", "cell1", "--to-cell", "cell2", "--parallel",
                        "2") == EXIT_REFUSED

    out = capsys.readouterr().out
    assert "draining cell cell1: 3 server(s) to cell cell2" in out
    assert "note: cell cell1 is enabled" not in out
    assert f"{stuck}: FAILED: server {stuck} is error" in out
    assert "cell cell1 drained: 2 moved, 1 failed" in out
    assert sorted(line.split("]")[0] for line in out.splitlines()
                  if line.startswith("[")) == ["[1/3", "[2/3", "[3/3"]
    for server in servers:
        if server != stuck:
            world.assert_lives_only_in(server, "cell2")
    assert world.rows(stuck)["cell1"].vm_state == states.ERROR
    assert world.cell_of(stuck) == "cell1"


def test_drain_of_an_empty_cell_succeeds(world, capsys):
    assert world.manage("cell", "drain", "cell1", "--to-cell", "cell2") == EXIT_OK
    out = capsys.readouterr().out
    assert "draining cell cell1: 0 server(s) to cell cell2" in out
    assert "cell cell1 drained: 0 moved, 0 failed" in out
