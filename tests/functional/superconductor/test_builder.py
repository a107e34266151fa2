"""The superconductor's boot flow on real MariaDB, Redis and a real placement service."""

from __future__ import annotations

import uuid

import pytest
import redis as redis_lib

from api_cell.scheduler.scheduler import Scheduler
from api_cell.superconductor.builder import Builder
from common import leases, liveness, states, tasks
from common.placement_client import PlacementClient
from db import errors
from db.api import cells as api_cells
from db.api import instances as api_instances
from db.cell import instances as cell_instances

INVENTORY = {
    "VCPU": {"total": 8, "reserved": 0, "min_unit": 1, "max_unit": 8, "step_size": 1,
             "allocation_ratio": 1.0},
    "MEMORY_MB": {"total": 4096, "reserved": 0, "min_unit": 1, "max_unit": 4096,
                  "step_size": 1, "allocation_ratio": 1.0},
    "DISK_GB": {"total": 100, "reserved": 0, "min_unit": 1, "max_unit": 100, "step_size": 1,
                "allocation_ratio": 1.0},
}


class World:
    """API DB with cell0/cell1/cell2, one live host in each real cell, placement, Redis."""

    def __init__(self, api_db, cell_dbs, placement_endpoint, redis_url, prefix) -> None:
        self.api_db = api_db
        self.redis = redis_lib.Redis.from_url(redis_url, decode_responses=True)
        self.prefix = prefix
        self.redis_url = redis_url
        self.placement = PlacementClient(placement_endpoint)
        self.cell0 = api_cells.create(api_db, "cell0", cell_dbs["cell0"],
                                      cell_uuid=api_cells.CELL0_UUID)
        self.cells = {name: api_cells.create(api_db, name, cell_dbs[name])
                      for name in ("cell1", "cell2")}
        self.nodes = {}
        for name, cell in self.cells.items():
            node = str(uuid.uuid4())
            self.placement.ensure_provider(node, f"{name}-host")
            self.placement.set_inventories(node, INVENTORY)
            liveness.mark_up(self.redis, prefix, node, 60,
                             {"host": f"{name}-host", "cell_uuid": cell.uuid})
            # No conductor runs here: the cell's alive key stands for one.
            liveness.mark_conductor_up(self.redis, prefix, cell.uuid, 3600)
            self.nodes[name] = node
        self.cache = api_cells.CellCache(api_db, max_age=0)
        self.scheduler = Scheduler(self.placement, self.redis, prefix, self.cache)
        self.builder = Builder(api_db, self.cache, self.scheduler, self.placement, redis_url,
                               prefix)

    def new_build(self, ram: int = 512) -> str:
        instance_uuid = str(uuid.uuid4())
        flavor = {"name": "f", "vcpus": 1, "ram": ram, "disk": 1}
        api_instances.create_build(
            self.api_db, instance_uuid, "proj", "user",
            {"name": "vm", "flavor": flavor, "image_ref": "img", "metadata": {}},
            {"resources": {"VCPU": 1, "MEMORY_MB": ram, "DISK_GB": 1},
             "project_id": "proj", "user_id": "user"})
        return instance_uuid

    def cell_tasks(self, cell_name: str) -> list[dict]:
        key = tasks.cell_stream_key(self.prefix, self.cells[cell_name].uuid)
        return [fields for _id, fields in self.redis.xrange(key)]

    def where(self, instance_uuid: str) -> list[str]:
        found = []
        for name, cell in [("cell0", self.cell0), *self.cells.items()]:
            try:
                cell_instances.get(cell.database_connection, instance_uuid)
                found.append(name)
            except errors.NotFound:
                pass
        return found


@pytest.fixture
def world(api_db, cell_dbs, placement_endpoint, redis_url, redis_prefix) -> World:
    return World(api_db, cell_dbs, placement_endpoint, redis_url, redis_prefix)


def test_build_places_instance_in_the_hosts_cell(world):
    instance_uuid = world.new_build()
    world.builder.build(instance_uuid, "req-1")

    [cell_name] = world.where(instance_uuid)
    cell = world.cells[cell_name]
    row = cell_instances.get(cell.database_connection, instance_uuid)
    assert (row.vm_state, row.task_state, row.host) == (states.BUILDING, states.SPAWNING,
                                                        f"{cell_name}-host")
    assert api_instances.get_mapping(world.api_db, instance_uuid).cell_id == cell.id
    assert api_instances.get_build(world.api_db, instance_uuid) is None
    assert [t["kind"] for t in world.cell_tasks(cell_name)] == ["build"]
    claimed = world.placement.allocations(instance_uuid)["allocations"]
    assert list(claimed) == [world.nodes[cell_name]]


def test_redelivered_build_creates_nothing_twice(world):
    instance_uuid = world.new_build()
    world.builder.build(instance_uuid, "req-1")
    world.builder.build(instance_uuid, "req-1")
    [cell_name] = world.where(instance_uuid)
    usage = world.placement.project_usages("proj")
    assert usage["MEMORY_MB"] == 512
    assert all(t["kind"] == "build" for t in world.cell_tasks(cell_name))


def test_overlapping_deliveries_leave_the_server_that_one_of_them_placed(world):
    """A redelivery that runs while the first delivery still does (the first was slow
    past the reclaim time and past its lease) finds the build request gone when it
    goes to place: it must not undo the server the first delivery placed."""
    instance_uuid = world.new_build()
    place = api_instances.place
    overlapped = []

    def the_other_delivery_places_first(api_url, uuid_, cell_id):
        if not overlapped:
            overlapped.append(True)
            # This delivery's lease ran out; a second one runs the whole flow while
            # this one is between its create and its place.
            world.redis.delete(world.builder.lease_key(instance_uuid))
            world.builder.build(instance_uuid, "req-1")
        return place(api_url, uuid_, cell_id)

    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(api_instances, "place", the_other_delivery_places_first)
    try:
        world.builder.build(instance_uuid, "req-1")
    finally:
        monkeypatch.undo()
    [cell_name] = world.where(instance_uuid)
    row = cell_instances.get(world.cells[cell_name].database_connection, instance_uuid)
    assert (row.vm_state, row.task_state) == (states.BUILDING, states.SPAWNING)
    assert list(world.placement.allocations(instance_uuid)["allocations"]) == [
        world.nodes[cell_name]]
    assert world.placement.project_usages("proj")["MEMORY_MB"] == 512


def test_a_delivery_while_another_holds_the_build_is_deferred(world):
    instance_uuid = world.new_build()
    with leases.held(world.redis, world.builder.lease_key(instance_uuid), 60):
        with pytest.raises(tasks.Deferred):
            world.builder.build(instance_uuid, "req-1")
        with pytest.raises(tasks.Deferred):
            world.builder.give_up(instance_uuid, "req-1", "given up")
        assert world.where(instance_uuid) == []
        assert world.placement.allocations(instance_uuid)["allocations"] == {}
    # The holder let go: the next delivery builds.
    world.builder.build(instance_uuid, "req-1")
    assert len(world.where(instance_uuid)) == 1
    assert world.redis.get(world.builder.lease_key(instance_uuid)) is None


def test_redelivery_after_claim_reuses_the_claim(world):
    instance_uuid = world.new_build()
    spec = api_instances.get_build(world.api_db, instance_uuid).spec
    first = world.scheduler.select(instance_uuid, spec)
    world.builder.build(instance_uuid, "req-1")
    assert world.where(instance_uuid) == [
        name for name, node in world.nodes.items() if node == first.node_uuid]
    assert world.placement.project_usages("proj")["MEMORY_MB"] == 512


def test_no_valid_host_buries_instance_in_cell0_with_fault(world):
    instance_uuid = world.new_build(ram=1_000_000)
    world.builder.build(instance_uuid, "req-2")
    assert world.where(instance_uuid) == ["cell0"]
    row = cell_instances.get(world.cell0.database_connection, instance_uuid)
    assert row.vm_state == states.ERROR
    fault = cell_instances.latest_faults(world.cell0.database_connection, [instance_uuid])
    assert "No valid host" in fault[instance_uuid].message
    assert api_instances.get_mapping(world.api_db, instance_uuid).cell_id == world.cell0.id


def test_down_hosts_are_not_chosen(world):
    liveness.mark_down(world.redis, world.prefix, world.nodes["cell1"])
    for _ in range(3):
        instance_uuid = world.new_build()
        world.builder.build(instance_uuid, "req")
        assert world.where(instance_uuid) == ["cell2"]


def test_disabled_cell_gets_no_new_instance(world):
    api_cells.update(world.api_db, "cell2", disabled=True)
    instance_uuid = world.new_build()
    world.builder.build(instance_uuid, "req")
    assert world.where(instance_uuid) == ["cell1"]


def test_build_deleted_before_scheduling_leaves_nothing(world):
    instance_uuid = world.new_build()
    assert api_instances.cancel_build(world.api_db, instance_uuid)
    world.builder.build(instance_uuid, "req")
    assert world.where(instance_uuid) == []
    assert world.placement.allocations(instance_uuid)["allocations"] == {}
    with pytest.raises(errors.NotFound):
        api_instances.get_mapping(world.api_db, instance_uuid)


def test_build_deleted_while_scheduling_is_undone(world):
    instance_uuid = world.new_build()
    select = world.scheduler.select

    def select_then_tenant_deletes(uuid_, spec):
        selection = select(uuid_, spec)
        assert api_instances.cancel_build(world.api_db, uuid_)
        return selection

    world.scheduler.select = select_then_tenant_deletes
    world.builder.build(instance_uuid, "req")
    assert world.where(instance_uuid) == []
    assert world.placement.allocations(instance_uuid)["allocations"] == {}
    assert not any(world.placement.project_usages("proj").values())


def test_given_up_build_ends_in_cell0_with_its_claim_released(world):
    instance_uuid = world.new_build()
    spec = api_instances.get_build(world.api_db, instance_uuid).spec
    world.scheduler.select(instance_uuid, spec)
    world.builder.give_up(instance_uuid, "req-3", "Build failed 5 times; given up.")
    assert world.where(instance_uuid) == ["cell0"]
    fault = cell_instances.latest_faults(world.cell0.database_connection, [instance_uuid])
    assert "given up" in fault[instance_uuid].message
    assert world.placement.allocations(instance_uuid)["allocations"] == {}
    assert api_instances.get_mapping(world.api_db, instance_uuid).cell_id == world.cell0.id
