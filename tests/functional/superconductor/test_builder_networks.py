"""Fixed IPs in the boot flow, on real MariaDB, Redis and placement: allocation once the
host is chosen, idempotent per instance, unique under concurrency, released on every
path where the server is gone."""

from __future__ import annotations

import ipaddress
import threading
import uuid

import pytest

from api_cell.api.domain import networks
from api_cell.superconductor.builder import Builder
from cell_services.operations import InstanceOperations
from common import states
from db import errors
from db.api import fixed_ips
from db.api import instances as api_instances
from db.cell import instances as cell_instances
from protos.compute_client import AgentClient
from tests.functional.superconductor.test_builder import World

NET_UUID = "5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


@pytest.fixture
def world(api_db, cell_dbs, placement_endpoint, redis_url, redis_prefix) -> World:
    return World(api_db, cell_dbs, placement_endpoint, redis_url, redis_prefix)


def _tiny(start: str, end: str) -> networks.ProviderNetwork:
    return networks.parse("tiny", NET_UUID, "10.9.0.0/24", "10.9.0.1", start, end)


def _with_network(world: World, network: networks.ProviderNetwork) -> Builder:
    return Builder(world.api_db, world.cache, world.scheduler, world.placement,
                   world.redis_url, world.prefix, network=network)


def _build(world: World, requested: list[dict] | None = None) -> str:
    """A build request as the API records it; ``requested`` None is an old spec."""
    instance_uuid = world.new_build()
    if requested is not None:
        api_instances.update_spec(world.api_db, instance_uuid,
                                  **{networks.SPEC_KEY: requested})
    return instance_uuid


def _address(world: World, instance_uuid: str) -> str | None:
    held = fixed_ips.for_instances(world.api_db, [instance_uuid]).get(instance_uuid, [])
    assert len(held) <= 1
    return held[0].address if held else None


def test_auto_gets_an_address_of_the_range_and_keeps_it_when_redelivered(world):
    network = world.builder.network
    instance_uuid = _build(world, [{"uuid": network.uuid}])
    world.builder.build(instance_uuid, "req-1")
    address = _address(world, instance_uuid)
    assert address is not None
    assert network.in_range(ipaddress.ip_address(address))
    world.builder.build(instance_uuid, "req-1")
    assert _address(world, instance_uuid) == address


def test_a_spec_without_networks_is_auto_and_none_gets_nothing(world):
    old = _build(world)
    nothing = _build(world, [])
    world.builder.build(old, "req-1")
    world.builder.build(nothing, "req-2")
    assert _address(world, old) is not None
    assert _address(world, nothing) is None
    assert world.where(nothing) != ["cell0"]


def test_requested_fixed_ip_is_given(world):
    builder = _with_network(world, _tiny("10.9.0.10", "10.9.0.20"))
    instance_uuid = _build(world, [{"uuid": NET_UUID, "fixed_ip": "10.9.0.17"}])
    builder.build(instance_uuid, "req-1")
    assert _address(world, instance_uuid) == "10.9.0.17"


def test_requested_fixed_ip_taken_meanwhile_ends_in_error_without_claim(world):
    builder = _with_network(world, _tiny("10.9.0.10", "10.9.0.20"))
    first = _build(world, [{"uuid": NET_UUID, "fixed_ip": "10.9.0.17"}])
    second = _build(world, [{"uuid": NET_UUID, "fixed_ip": "10.9.0.17"}])
    builder.build(first, "req-1")
    builder.build(second, "req-2")
    assert world.where(second) == ["cell0"]
    row = cell_instances.get(world.cell0.database_connection, second)
    assert row.vm_state == states.ERROR
    fault = cell_instances.latest_faults(world.cell0.database_connection, [second])[second]
    assert "Fixed IP address 10.9.0.17 is already in use" in fault.message
    assert world.placement.allocations(second)["allocations"] == {}
    assert _address(world, second) is None


def test_exhausted_range_ends_the_build_in_error_with_a_clear_fault(world):
    builder = _with_network(world, _tiny("10.9.0.10", "10.9.0.11"))
    placed = [_build(world), _build(world)]
    for instance_uuid in placed:
        builder.build(instance_uuid, "req-1")
    assert sorted(_address(world, u) for u in placed) == ["10.9.0.10", "10.9.0.11"]

    starved = _build(world)
    builder.build(starved, "req-2")
    assert world.where(starved) == ["cell0"]
    fault = cell_instances.latest_faults(world.cell0.database_connection, [starved])[starved]
    assert "no more fixed IPs on network tiny" in fault.message
    assert world.placement.allocations(starved)["allocations"] == {}
    assert world.placement.project_usages("proj")["MEMORY_MB"] == 2 * 512
    assert api_instances.get_mapping(world.api_db, starved).cell_id == world.cell0.id


def test_conductor_delete_frees_the_address_for_the_next_server(world):
    builder = _with_network(world, _tiny("10.9.0.10", "10.9.0.10"))
    first = _build(world)
    builder.build(first, "req-1")
    assert _address(world, first) == "10.9.0.10"
    [cell_name] = world.where(first)
    url = world.cells[cell_name].database_connection
    cell_instances.update(url, first, expected_task_state=states.SPAWNING,
                          task_state=states.DELETING, host="gone-host")
    # The host is unknown to the cell, so no agent is called: the delete goes on.
    operations = InstanceOperations(url, AgentClient(1.0), world.placement,
                                    api_url=world.api_db)
    operations.delete(first, {}, "req-del")
    assert cell_instances.get(url, first, read_deleted=True).deleted
    assert _address(world, first) is None

    second = _build(world)
    builder.build(second, "req-2")
    assert _address(world, second) == "10.9.0.10"


def test_delete_while_building_leaves_no_address(world):
    instance_uuid = _build(world)
    # A first delivery allocated, then died; the tenant deleted the server meanwhile.
    fixed_ips.allocate(world.api_db, world.builder.network, instance_uuid)
    assert api_instances.cancel_build(world.api_db, instance_uuid)
    world.builder.build(instance_uuid, "req-1")
    assert _address(world, instance_uuid) is None
    assert world.where(instance_uuid) == []


def test_given_up_build_releases_its_address(world):
    instance_uuid = _build(world)
    fixed_ips.allocate(world.api_db, world.builder.network, instance_uuid)
    world.builder.give_up(instance_uuid, "req-1", "Build failed 5 times; given up.")
    assert world.where(instance_uuid) == ["cell0"]
    assert _address(world, instance_uuid) is None


def test_forty_concurrent_allocations_never_share_an_address(world):
    network = _tiny("10.9.0.100", "10.9.0.139")
    instance_uuids = [str(uuid.uuid4()) for _ in range(40)]
    barrier = threading.Barrier(len(instance_uuids))
    failures: list[BaseException] = []

    def allocate(instance_uuid: str) -> None:
        try:
            barrier.wait()
            fixed_ips.allocate(world.api_db, network, instance_uuid)
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=allocate, args=(u,)) for u in instance_uuids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    held = fixed_ips.all_on(world.api_db, NET_UUID)
    assert len(held) == 40
    assert len({a.address for a in held}) == 40
    assert {a.instance_uuid for a in held} == set(instance_uuids)
    with pytest.raises(fixed_ips.Exhausted):
        fixed_ips.allocate(world.api_db, network, str(uuid.uuid4()))


def test_an_address_held_by_another_instance_is_a_duplicate(world):
    network = _tiny("10.9.0.10", "10.9.0.20")
    fixed_ips.allocate(world.api_db, network, "a", "10.9.0.12")
    with pytest.raises(errors.Duplicate):
        fixed_ips.allocate(world.api_db, network, "b", "10.9.0.12")
    # The instance asking again for its own address gets it back.
    assert fixed_ips.allocate(world.api_db, network, "a", "10.9.0.12").address == "10.9.0.12"
