"""The boot flow copies tags asked for at create (2.52) and honours a requested
destination (2.74), on real MariaDB, Redis and placement."""

from __future__ import annotations

import uuid

import pytest

from db.api import instances as api_instances
from db.cell import tags as cell_tags
from tests.functional.superconductor.test_builder import World


@pytest.fixture
def world(api_db, cell_dbs, placement_endpoint, redis_url, redis_prefix) -> World:
    return World(api_db, cell_dbs, placement_endpoint, redis_url, redis_prefix)


def _build(world: World, ram: int = 512, tags: list[str] | None = None,
           destination: dict[str, str] | None = None) -> str:
    instance_uuid = str(uuid.uuid4())
    spec = {"resources": {"VCPU": 1, "MEMORY_MB": ram, "DISK_GB": 1},
            "project_id": "proj", "user_id": "user"}
    if destination is not None:
        spec["requested_destination"] = destination
    api_instances.create_build(
        world.api_db, instance_uuid, "proj", "user",
        {"name": "vm", "flavor": {"name": "f", "vcpus": 1, "ram": ram, "disk": 1},
         "image_ref": "img", "metadata": {}, "tags": tags or []}, spec)
    return instance_uuid


def test_tags_follow_the_server_into_its_cell(world):
    instance_uuid = _build(world, tags=["web", "prod"])
    world.builder.build(instance_uuid, "req-1")
    world.builder.build(instance_uuid, "req-1")
    [cell_name] = world.where(instance_uuid)
    url = world.cells[cell_name].database_connection
    assert cell_tags.get_all(url, instance_uuid) == ["prod", "web"]


def test_copying_tags_again_adds_nothing_and_fails_nothing(world):
    instance_uuid = _build(world, tags=["a"])
    world.builder.build(instance_uuid, "req-1")
    [cell_name] = world.where(instance_uuid)
    url = world.cells[cell_name].database_connection
    cell_tags.add_missing(url, instance_uuid, ["a", "b", "a"])
    cell_tags.add_missing(url, instance_uuid, ["a", "b"])
    assert cell_tags.get_all(url, instance_uuid) == ["a", "b"]


def test_tags_of_an_unschedulable_server_go_to_cell0(world):
    instance_uuid = _build(world, ram=999999, tags=["lost"])
    world.builder.build(instance_uuid, "req-1")
    assert world.where(instance_uuid) == ["cell0"]
    assert cell_tags.get_all(world.cell0.database_connection, instance_uuid) == ["lost"]


@pytest.mark.parametrize("cell_name", ["cell1", "cell2"])
def test_requested_host_is_the_only_choice(world, cell_name):
    for _ in range(3):
        instance_uuid = _build(world, destination={"host": f"{cell_name}-host"})
        world.builder.build(instance_uuid, "req-1")
        assert world.where(instance_uuid) == [cell_name]


def test_requested_node_is_the_only_choice(world):
    node = world.nodes["cell2"]
    instance_uuid = _build(world, destination={"host": "cell2-host", "node": node})
    world.builder.build(instance_uuid, "req-1")
    assert world.where(instance_uuid) == ["cell2"]
    assert list(world.placement.allocations(instance_uuid)["allocations"]) == [node]


def test_unknown_requested_host_buries_the_server_in_cell0(world):
    instance_uuid = _build(world, destination={"host": "elsewhere"})
    world.builder.build(instance_uuid, "req-1")
    assert world.where(instance_uuid) == ["cell0"]
