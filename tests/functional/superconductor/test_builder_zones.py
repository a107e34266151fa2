"""Booting into an availability zone: the builder on real MariaDB, Redis and placement."""

from __future__ import annotations

import uuid

import pytest
import redis as redis_lib

from api_cell.scheduler.scheduler import Scheduler
from api_cell.superconductor.builder import Builder
from common import liveness, placement_client
from common.placement_client import PlacementClient
from db import errors
from db.api import aggregates as db_aggregates
from db.api import cells as api_cells
from db.api import instances as api_instances
from db.cell import instances as cell_instances

INVENTORY = {"VCPU": {"total": 64}, "MEMORY_MB": {"total": 65536},
             "DISK_GB": {"total": 1000}}


class ZonedWorld:
    """Two live hosts: ``east-host`` (cell1) in zone ``east`` through an aggregate, and
    ``plain-host`` (cell2) in no aggregate, so in the default zone."""

    def __init__(self, api_db, cell_dbs, placement_endpoint, redis_url, prefix) -> None:
        self.api_db = api_db
        self.redis = redis_lib.Redis.from_url(redis_url, decode_responses=True)
        self.placement = PlacementClient(placement_endpoint)
        self.cell0 = api_cells.create(api_db, "cell0", cell_dbs["cell0"],
                                      cell_uuid=api_cells.CELL0_UUID)
        self.cells = {name: api_cells.create(api_db, name, cell_dbs[name])
                      for name in ("cell1", "cell2")}
        self.nodes = {}
        for host, cell in (("east-host", "cell1"), ("plain-host", "cell2")):
            node = str(uuid.uuid4())
            self.placement.ensure_provider(node, host)
            self.placement.set_inventories(node, INVENTORY)
            liveness.mark_up(self.redis, prefix, node, 60,
                             {"host": host, "cell_uuid": self.cells[cell].uuid})
            liveness.mark_conductor_up(self.redis, prefix, self.cells[cell].uuid, 3600)
            self.nodes[host] = node
        east = db_aggregates.create(api_db, "east-racks", {"availability_zone": "east"})
        db_aggregates.add_host(api_db, east.id, "east-host")
        self.placement.change_provider_aggregates(self.nodes["east-host"], add=(east.uuid,))
        cache = api_cells.CellCache(api_db, max_age=0)
        self.scheduler = Scheduler(self.placement, self.redis, prefix, cache,
                                   default_zone="nova")
        self.builder = Builder(api_db, cache, self.scheduler, self.placement, redis_url,
                               prefix)

    def boot(self, zone: str | None) -> str:
        instance_uuid = str(uuid.uuid4())
        flavor = {"name": "f", "vcpus": 1, "ram": 64, "disk": 1}
        api_instances.create_build(
            self.api_db, instance_uuid, "proj", "user",
            {"name": "vm", "flavor": flavor, "image_ref": "img", "metadata": {},
             "availability_zone": zone},
            {"resources": {"VCPU": 1, "MEMORY_MB": 64, "DISK_GB": 1},
             "project_id": "proj", "user_id": "user", "availability_zone": zone})
        self.builder.build(instance_uuid, "req-az")
        return instance_uuid

    def placed(self, instance_uuid: str) -> tuple[str, str | None, str | None]:
        """The cell holding the instance, its host and its availability zone."""
        for name, cell in [("cell0", self.cell0), *self.cells.items()]:
            try:
                row = cell_instances.get(cell.database_connection, instance_uuid)
            except errors.NotFound:
                continue
            return name, row.host, row.availability_zone
        raise AssertionError(f"{instance_uuid} is in no cell")


@pytest.fixture
def world(api_db, cell_dbs, placement_endpoint, redis_url, redis_prefix) -> ZonedWorld:
    return ZonedWorld(api_db, cell_dbs, placement_endpoint, redis_url, redis_prefix)


def test_a_zone_gets_only_its_hosts(world):
    with placement_client.counting_calls() as calls:
        placed = {world.placed(world.boot("east")) for _ in range(4)}
    assert placed == {("cell1", "east-host", "east")}
    assert calls["GET allocation_candidates"] == 4


def test_the_default_zone_gets_hosts_of_no_zone(world):
    placed = {world.placed(world.boot("nova")) for _ in range(4)}
    assert placed == {("cell2", "plain-host", "nova")}


def test_no_zone_asked_records_the_zone_of_the_chosen_host(world):
    for _ in range(6):
        _cell, host, zone = world.placed(world.boot(None))
        assert zone == ("east" if host == "east-host" else "nova")


def test_a_zone_without_hosts_fails_the_build(world):
    east = db_aggregates.list_all(world.api_db)[0]
    db_aggregates.remove_host(world.api_db, east.id, "east-host")
    instance_uuid = world.boot("east")
    assert world.placed(instance_uuid)[0] == "cell0"
    fault = cell_instances.latest_faults(world.cell0.database_connection, [instance_uuid])
    assert "Availability zone east has no hosts" in fault[instance_uuid].message


def test_a_host_of_the_zone_missing_from_placement_aggregate_is_not_chosen(world):
    """member_of comes from placement: a provider outside the zone's aggregates is never
    a candidate, whatever the API DB says of its host."""
    west = db_aggregates.create(world.api_db, "west-racks", {"availability_zone": "west"})
    db_aggregates.add_host(world.api_db, west.id, "plain-host")
    instance_uuid = world.boot("west")
    assert world.placed(instance_uuid)[0] == "cell0"
