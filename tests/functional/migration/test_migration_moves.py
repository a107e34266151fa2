"""Moves between cells that succeed: one server, a stopped one, a whole cell."""

from __future__ import annotations

import re

from api_cell.superconductor.cell_migration import migration_uuid_for
from common import states, tasks
from db.api import instances as api_instances
from db.cell import instances as cell_instances
from db.cell import migration_records


def _assert_completed_record(world, os_migrations, server: str) -> dict:
    """os-migrations lists the server's latest move once, completed, and only the
    server's cell keeps it."""
    wanted = migration_uuid_for(server, world.action_request_id(server))
    [record] = [m for m in os_migrations() if m["uuid"] == wanted]
    assert record in os_migrations(f"?instance_uuid={server}")
    assert (record["status"], record["migration_type"]) == ("completed", "migration")
    cell = world.cell_of(server)
    for name, other in world.cells.items():
        kept = [r.uuid for r in migration_records.page(other.database_connection, 100)
                if r.instance_uuid == server]
        assert (record["uuid"] in kept) == (name == cell), (name, kept)
    return record


def test_active_server_moves_with_its_history(world, capsys, os_migrations):
    [server] = world.boot()
    cell1 = world.cells["cell1"].database_connection
    cell_instances.add_fault(cell1, server, 500, "an old fault")
    before = cell_instances.get(cell1, server)
    capsys.readouterr()

    assert world.manage("cell", "migrate-instance", server, "--to-cell", "cell2") == 0

    out = capsys.readouterr().out
    assert f"server {server} moved from cell cell1 to cell cell2 (host cell2-host" in out
    world.assert_lives_only_in(server, "cell2")
    after = cell_instances.get(world.cells["cell2"].database_connection, server)
    assert (after.uuid, after.display_name, after.flavor, after.metadata_items,
            after.created_at, after.launched_at, after.project_id) == (
        before.uuid, before.display_name, before.flavor, before.metadata_items,
        before.created_at, before.launched_at, before.project_id)
    assert world.faults("cell2", server) == ["an old fault"]
    actions = world.actions("cell2", server)
    assert actions["create"] == [("compute__do_build_and_run_instance", "Success")]
    assert actions["migrate"] == [("compute_receive_instance", "Success"),
                                  ("conductor_migrate_server", "Success")]
    assert world.usages()["cell1-host"] == {"VCPU": 0, "MEMORY_MB": 0, "DISK_GB": 0}
    assert world.usages()["cell2-host"] == {"VCPU": 1, "MEMORY_MB": 64, "DISK_GB": 1}
    record = _assert_completed_record(world, os_migrations, server)
    assert os_migrations() == [record]
    assert {key: record[key] for key in (
        "source_compute", "source_node", "dest_compute", "dest_node", "dest_host",
        "old_instance_type_id", "new_instance_type_id", "user_id", "project_id")} == {
        "source_compute": "cell1-host", "source_node": before.node,
        "dest_compute": "cell2-host", "dest_node": "cell2-host", "dest_host": "cell2-host",
        "old_instance_type_id": "1", "new_instance_type_id": "1", "user_id": None,
        "project_id": None}
    assert os_migrations("?host=cell2-host") == [record]
    assert os_migrations("?status=completed&migration_type=migration") == [record]


def test_stopped_server_ends_stopped(world):
    [server] = world.boot()
    cell1 = world.cells["cell1"].database_connection
    cell_instances.update(cell1, server, task_state=states.POWERING_OFF)
    world.conductors["cell1"].stream.add("stop", {"instance_uuid": server}, "req-stop")
    world.wait(lambda: cell_instances.get(cell1, server).vm_state == states.STOPPED)

    assert world.manage("cell", "migrate-instance", server, "--to-cell", "cell2") == 0

    world.assert_lives_only_in(server, "cell2", vm_state=states.STOPPED)


def test_no_wait_returns_at_once_and_the_move_completes(world, capsys):
    [server] = world.boot()
    capsys.readouterr()
    request_id = world.queue_move(server)
    assert f"(request {request_id})" in capsys.readouterr().out
    world.wait(lambda: not world.rows(server).get("cell1") and world.cell_of(server) == "cell2"
          and world.rows(server)["cell2"].task_state is None)
    world.assert_lives_only_in(server, "cell2")


def test_a_task_delivered_again_after_the_move_changes_nothing(world, os_migrations):
    [server] = world.boot()
    assert world.manage("cell", "migrate-instance", server, "--to-cell", "cell2") == 0
    request_id = world.action_request_id(server)
    stream = tasks.TaskStream(world.redis, tasks.build_stream_key(world.prefix),
                              tasks.SUPERCONDUCTOR_GROUP)
    cell2 = world.cells["cell2"]
    stream.add("migrate_cell", {"instance_uuid": server, "target_cell_uuid": cell2.uuid},
               request_id)
    world.wait(lambda: stream.pending_count() == 0 and not world.redis.xlen(stream.key))
    world.assert_lives_only_in(server, "cell2")
    assert world.actions("cell2", server)["migrate"].count(
        ("conductor_migrate_server", "Success")) == 1
    assert os_migrations() == [_assert_completed_record(world, os_migrations, server)]


def test_server_moves_back_to_its_first_cell(world, os_migrations):
    [server] = world.boot()
    assert world.manage("cell", "migrate-instance", server, "--to-cell", "cell2") == 0
    assert world.manage("cell", "migrate-instance", server, "--to-cell", "cell1") == 0
    world.assert_lives_only_in(server, "cell1")
    assert world.usages()["cell2-host"]["MEMORY_MB"] == 0
    # Both moves, newest first, now kept by cell1 alone (the first one came back with
    # the server's other records).
    back, there = os_migrations(f"?instance_uuid={server}")
    assert back == _assert_completed_record(world, os_migrations, server)
    assert (there["status"], there["source_compute"], there["dest_compute"]) == (
        "completed", "cell1-host", "cell2-host")
    assert (back["source_compute"], back["dest_compute"]) == ("cell2-host", "cell1-host")
    assert [r.uuid for r in migration_records.page(
        world.cells["cell2"].database_connection, 100)] == []


def test_drain_moves_twenty_running_servers(world, capsys, os_migrations):
    world.start_agent("cell2", host="cell2-host-b")
    servers = world.boot(20)
    capsys.readouterr()

    assert world.manage("cell", "drain", "cell1", "--to-cell", "cell2") == 0

    out = capsys.readouterr().out
    progress = re.findall(r"^\[(\d+)/20\] (\S+): moved from cell cell1 to cell cell2",
                          out, re.M)
    assert [int(n) for n, _ in progress] == list(range(1, 21))
    assert sorted(uuid for _, uuid in progress) == sorted(servers)
    assert "cell cell1 drained: 20 moved, 0 failed" in out
    for server in servers:
        world.assert_lives_only_in(server, "cell2")
    usages = world.usages()
    assert usages["cell1-host"] == {"VCPU": 0, "MEMORY_MB": 0, "DISK_GB": 0}
    assert sum(usages[h]["MEMORY_MB"] for h in ("cell2-host", "cell2-host-b")) == 20 * 64
    assert sum(usages[h]["VCPU"] for h in ("cell2-host", "cell2-host-b")) == 20
    assert world.placement.project_usages("proj")["MEMORY_MB"] == 20 * 64
    cell1 = world.cells["cell1"]
    assert api_instances.uuids_in_cell(world.api_db, cell1.id) == []
    assert cell_instances.get_many(cell1.database_connection, servers) == {}
    assert all(not world.faults("cell1", s) and not world.actions("cell1", s)
               for s in servers)
    assert world.agents["cell1-host"].virt.power_states() == {}
    listed = os_migrations()
    assert sorted(m["instance_uuid"] for m in listed) == sorted(servers)
    assert {(m["status"], m["source_compute"]) for m in listed} == {("completed",
                                                                     "cell1-host")}
    assert migration_records.page(cell1.database_connection, 100) == []
    assert world.manage("cell", "delete", "cell1", "--force") == 0

