"""New boots avoid a cell whose database is dead (real MariaDB, Redis and placement)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from db.api import cells as api_cells
from db.cell import instances as cell_instances
from tests.functional.superconductor.test_builder import World

DEAD_URL = "mysql+pymysql://root@127.0.0.1:1/nowhere"


@pytest.fixture
def world(api_db, cell_dbs, placement_endpoint, redis_url, redis_prefix) -> Iterator[World]:
    built = World(api_db, cell_dbs, placement_endpoint, redis_url, redis_prefix)
    yield built
    built.scheduler.health.stop()


def _use_ram(world: World, cell: str, ram: int) -> None:
    world.placement.claim(str(uuid.uuid4()), {world.nodes[cell]: {"resources": {
        "MEMORY_MB": ram}}}, "other", "someone")


def test_a_build_that_finds_its_cell_dead_is_scheduled_again_elsewhere(world):
    cell2 = api_cells.update(world.api_db, "cell2", database_connection=DEAD_URL)
    _use_ram(world, "cell1", 2048)  # cell2's host weighs more: it is chosen first

    instance_uuid = world.new_build()
    world.builder.build(instance_uuid, "req-1")

    assert world.where(instance_uuid) == ["cell1"]
    assert list(world.placement.allocations(instance_uuid)["allocations"]) == \
        [world.nodes["cell1"]]
    assert world.scheduler.health.is_down(cell2.uuid)
    assert world.builder.health is world.scheduler.health


def test_hosts_of_a_down_cell_are_rejected_with_a_reason(world):
    cell2 = api_cells.update(world.api_db, "cell2", database_connection=DEAD_URL)
    world.scheduler.health.trip(cell2, "no answer within 2.0s")
    _use_ram(world, "cell1", 4096)  # only cell2's host has room, and its cell is down

    instance_uuid = world.new_build()
    world.builder.build(instance_uuid, "req-1")

    assert world.where(instance_uuid) == ["cell0"]
    fault = cell_instances.latest_faults(world.cell0.database_connection,
                                         [instance_uuid])[instance_uuid]
    assert f"cell {cell2.uuid} is down (its database does not answer)" in fault.message
    assert world.placement.allocations(instance_uuid)["allocations"] == {}
