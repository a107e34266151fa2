"""Moves that fail or get interrupted: the server stays ACTIVE in exactly one cell and no
allocation is left behind; an interrupted move resumes when its task is redelivered."""

from __future__ import annotations

import uuid

import pytest

from api_cell.manage import EXIT_REFUSED
from api_cell.superconductor.cell_migration import CellMover, migration_uuid_for
from common import liveness
from db.cell import instances as cell_instances
from db.cell import migration_records

ZERO = {"VCPU": 0, "MEMORY_MB": 0, "DISK_GB": 0}


def _assert_one_failed_record(world, os_migrations, server: str, dest: str | None) -> None:
    """os-migrations lists the rolled-back move once, in error, kept by cell1 alone (the
    target's hidden copy is gone)."""
    [record] = os_migrations(f"?instance_uuid={server}")
    assert record["uuid"] == migration_uuid_for(server, world.action_request_id(server))
    assert (record["status"], record["migration_type"], record["source_compute"],
            record["dest_compute"]) == ("error", "migration", "cell1-host", dest)
    assert [m["uuid"] for m in os_migrations()] == [record["uuid"]]
    assert migration_records.get_by_uuid(world.cells["cell2"].database_connection,
                                         record["uuid"]) is None


def _assert_stayed_in_cell1(world, server: str, capsys, reason: str) -> None:
    err = capsys.readouterr().err
    assert f"server {server} was not moved: stayed in cell cell1 (active)" in err
    assert reason in err
    world.assert_lives_only_in(server, "cell1")
    faults = world.faults("cell1", server)
    assert faults and faults[-1].startswith("migration to cell cell2 failed") and \
        reason in faults[-1]
    assert ("conductor_migrate_server", "Error") in world.actions("cell1", server)["migrate"]
    migration = migration_uuid_for(server, world.action_request_id(server))
    assert world.placement.allocations(migration)["allocations"] == {}
    assert world.placement.project_usages("proj") == {"VCPU": 1, "MEMORY_MB": 64,
                                                      "DISK_GB": 1}


def _stop_agent_keeping_it_scheduled(world, host: str) -> str:
    """Stop a host's agent while its liveness key says it is up (not expired yet)."""
    agent = world.agents.pop(host)
    node = agent.registration.node_uuid
    agent.stop(grace=1)
    liveness.mark_up(world.redis, world.prefix, node, 60,
                     {"host": host, "cell_uuid": agent.registration.cell_uuid})
    return node


def test_target_host_down_rolls_back(world, capsys, os_migrations):
    [server] = world.boot()
    node = _stop_agent_keeping_it_scheduled(world, "cell2-host")
    capsys.readouterr()

    assert world.manage("cell", "migrate-instance", server, "--to-cell", "cell2") == \
        EXIT_REFUSED

    _assert_stayed_in_cell1(world, server, capsys, "Spawn on cell2-host: UNAVAILABLE")
    assert world.placement.provider_usages(node) == ZERO
    _assert_one_failed_record(world, os_migrations, server, "cell2-host")


def test_unknown_target_host_rolls_back(world, capsys, os_migrations):
    [server] = world.boot()
    real = world.agents.pop("cell2-host")
    real.stop(grace=1)
    liveness.mark_down(world.redis, world.prefix, real.registration.node_uuid)
    ghost = str(uuid.uuid4())
    world.placement.ensure_provider(ghost, "ghost-host")
    world.placement.set_inventories(ghost, world.placement.inventories(
        world.node("cell1-host"))["inventories"])
    liveness.mark_up(world.redis, world.prefix, ghost, 60,
                     {"host": "ghost-host", "cell_uuid": world.cells["cell2"].uuid})
    capsys.readouterr()

    assert world.manage("cell", "migrate-instance", server, "--to-cell", "cell2") == \
        EXIT_REFUSED

    _assert_stayed_in_cell1(world, server, capsys, "ghost-host")
    assert world.placement.provider_usages(ghost) == ZERO
    _assert_one_failed_record(world, os_migrations, server, "ghost-host")


def test_target_cell_without_capacity_rolls_back(world, capsys, os_migrations):
    [server] = world.boot()
    node = world.node("cell2-host")
    memory = world.placement.inventories(node)["inventories"]["MEMORY_MB"]
    free = int((memory["total"] - memory["reserved"]) * memory["allocation_ratio"])
    fillers, left = [], free - 32
    while left:
        amount = min(left, memory["max_unit"])
        fillers.append(str(uuid.uuid4()))
        world.placement.claim(fillers[-1], {node: {"resources": {"MEMORY_MB": amount}}},
                              "other", "other")
        left -= amount
    capsys.readouterr()

    assert world.manage("cell", "migrate-instance", server, "--to-cell", "cell2") == \
        EXIT_REFUSED

    err = capsys.readouterr().err
    assert "No valid host was found in the target cell" in err
    world.assert_lives_only_in(server, "cell1")
    assert "cell2" not in world.rows(server)
    assert world.placement.provider_usages(node)["MEMORY_MB"] == free - 32
    _assert_one_failed_record(world, os_migrations, server, None)
    for filler in fillers:
        world.placement.release(filler)
    # Once there is room again, the same server moves; the failed move's record came
    # along with the server's history.
    assert world.manage("cell", "migrate-instance", server, "--to-cell", "cell2") == 0
    world.assert_lives_only_in(server, "cell2")
    moved, failed = os_migrations(f"?instance_uuid={server}")
    assert (moved["status"], moved["dest_compute"]) == ("completed", "cell2-host")
    assert (failed["status"], failed["dest_compute"]) == ("error", None)
    assert len(os_migrations()) == 2


def test_target_conductor_not_answering_times_out_and_rolls_back(world, capsys,
                                                                 os_migrations):
    [server] = world.boot()
    world.mover.receive_timeout = 0.8
    world.conductors.pop("cell2").stop(grace=1)
    node = world.node("cell2-host")
    liveness.mark_up(world.redis, world.prefix, node, 60,
                     {"host": "cell2-host", "cell_uuid": world.cells["cell2"].uuid})
    # The stopped conductor's own key would expire within seconds (on a slow run,
    # before the move is scheduled): keep vouching for it, as a conductor that hangs
    # without dying does.
    liveness.mark_conductor_up(world.redis, world.prefix, world.cells["cell2"].uuid, 60)
    capsys.readouterr()

    assert world.manage("cell", "migrate-instance", server, "--to-cell", "cell2") == \
        EXIT_REFUSED

    err = capsys.readouterr().err
    assert "did not spawn the guest within 0.8 s" in err
    world.assert_lives_only_in(server, "cell1")
    assert world.placement.provider_usages(node) == ZERO
    # The conductor comes back and finds the receive task of the abandoned move: it
    # must not spawn anything.
    conductor = world.start_conductor("cell2")
    world.wait(lambda: conductor.stream.pending_count() == 0
               and world.redis.xlen(conductor.stream.key) == 0, what="receive task done")
    world.assert_lives_only_in(server, "cell1")
    assert world.agents["cell2-host"].virt.power_states() == {}
    _assert_one_failed_record(world, os_migrations, server, "cell2-host")


STEPS = ["_hold_source_allocation", "_claim_target", "_copy_record", "_hand_receive",
         "_await_receive", "_flip_mapping", "_roll_forward"]


@pytest.mark.parametrize("step", STEPS)
def test_worker_dying_after_a_step_resumes_on_redelivery(world, monkeypatch, step,
                                                         os_migrations):
    [server] = world.boot()
    died = []
    original = getattr(CellMover, step)

    def step_then_die(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        if not died:
            died.append(step)
            raise RuntimeError(f"worker died after {step}")
        return result

    monkeypatch.setattr(CellMover, step, step_then_die)

    assert world.manage("cell", "migrate-instance", server, "--to-cell", "cell2",
                        "--timeout", "60") == 0

    assert died == [step]
    world.assert_lives_only_in(server, "cell2")
    events = world.actions("cell2", server)["migrate"]
    assert events.count(("compute_receive_instance", "Success")) == 1
    assert events.count(("conductor_migrate_server", "Success")) == 1
    assert world.usages()["cell1-host"] == ZERO
    assert cell_instances.get_many(world.cells["cell1"].database_connection, [server]) == {}
    [record] = os_migrations()
    assert (record["uuid"], record["status"], record["source_compute"],
            record["dest_compute"]) == (
        migration_uuid_for(server, world.action_request_id(server)), "completed",
        "cell1-host", "cell2-host")
    assert migration_records.page(world.cells["cell1"].database_connection, 10) == []
