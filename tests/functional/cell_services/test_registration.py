"""Agents register with the conductor over gRPC and keep themselves live."""

import json
import threading

import pytest
import sqlalchemy as sa

from cell_services import service
from common import liveness, redis_client
from compute_agent.conductor_client import ConductorClient, NotRegistered
from compute_agent.manager import SERVICE_VERSION
from compute_agent.virt.driver import HostResources
from db import errors
from db.api import hosts
from db.cell import services
from db.cell.models import ComputeNode, Service
from db.engine import session_for


def test_conductor_publishes_its_address(conductor, redis_url, redis_prefix):
    key = service.address_key(redis_prefix, conductor.cell.uuid)
    assert redis_client.get(redis_url).get(key) == conductor.address


def test_registration_records_host_everywhere(start_agent, conductor, cell, api_db,
                                              redis_url, redis_prefix, placement,
                                              wait_for, heartbeat_interval):
    agent = start_agent("compute-a")
    registration = agent.registration
    assert (registration.cell_uuid, registration.cell_name) == (cell.uuid, "cell1")
    assert registration.heartbeat_interval == heartbeat_interval

    compute = services.get_compute(cell.database_connection, "compute-a")
    assert compute.node_uuid == registration.node_uuid
    assert compute.rpc_address == agent.rpc_address
    with session_for(cell.database_connection) as session:
        node = session.scalars(sa.select(ComputeNode)).one()
        service_row = session.scalars(sa.select(Service)).one()
    resources = agent.virt.resources()
    assert (node.vcpus, node.memory_mb, node.local_gb, node.hypervisor_type) == (
        resources.vcpus, resources.memory_mb, resources.local_gb, "TEST")
    assert (service_row.binary, service_row.host, service_row.version) == (
        "cellar-compute", "compute-a", SERVICE_VERSION)

    assert hosts.get(api_db, "compute-a").cell_uuid == cell.uuid

    client = redis_client.get(redis_url)
    key = liveness.compute_key(redis_prefix, registration.node_uuid)
    assert json.loads(client.get(key)) == {"host": "compute-a", "cell_uuid": cell.uuid,
                                           "disabled": False}
    assert 0 < client.pttl(key) <= 3 * heartbeat_interval * 1000

    # The provider of the host is the compute node, with the host's inventory.
    provider = wait_for(lambda: placement.provider(registration.node_uuid),
                        what="resource provider")
    assert provider["name"] == "compute-a"
    inventories = wait_for(lambda: placement.inventories(registration.node_uuid)
                           ["inventories"], what="inventory")
    assert inventories["VCPU"]["total"] == resources.vcpus
    assert inventories["MEMORY_MB"]["reserved"] == 512


def test_heartbeats_count_and_keep_the_host_live(start_agent, cell, redis_url,
                                                 redis_prefix, wait_for):
    agent = start_agent("compute-b")

    def report_count():
        with session_for(cell.database_connection) as session:
            return session.scalar(sa.select(Service.report_count)) >= 3
    wait_for(report_count, what="three heartbeats")
    # Well past the first TTL, the key is still there because heartbeats refresh it.
    key = liveness.compute_key(redis_prefix, agent.registration.node_uuid)
    assert redis_client.get(redis_url).exists(key)


def test_node_uuid_is_stable_across_restarts(start_agent, cell):
    first = start_agent("compute-c")
    node_uuid = first.registration.node_uuid
    first.stop(grace=0)
    second = start_agent("compute-c")
    assert second.registration.node_uuid == node_uuid
    assert services.get_compute(cell.database_connection, "compute-c").rpc_address == \
        second.rpc_address


def test_concurrent_registrations_of_one_host_yield_one_service(conductor, cell):
    resources = HostResources(hypervisor_type="TEST", vcpus=4, memory_mb=4096, local_gb=10)
    results, failures = [], []
    barrier = threading.Barrier(8)

    def register(index: int) -> None:
        client = ConductorClient(conductor.address, timeout=10)
        try:
            barrier.wait()
            results.append(client.register("racer", f"127.0.0.1:{7000 + index}",
                                           resources).node_uuid)
        except Exception as error:  # collected: an assertion below names it
            failures.append(error)
        finally:
            client.close()

    threads = [threading.Thread(target=register, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(set(results)) == 1
    with session_for(cell.database_connection) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Service)) == 1
        assert session.scalar(sa.select(sa.func.count()).select_from(ComputeNode)) == 1


def test_unknown_host_heartbeat_makes_the_agent_register_again(start_agent, cell,
                                                               wait_for):
    agent = start_agent("compute-d")
    with session_for(cell.database_connection) as session:
        session.execute(sa.delete(ComputeNode))
        session.execute(sa.delete(Service))
    compute = wait_for(lambda: _registered(cell, "compute-d"), what="re-registration")
    assert compute.rpc_address == agent.rpc_address
    wait_for(lambda: agent.registration and agent.registration.node_uuid == compute.node_uuid,
             what="agent to learn its new node uuid")


def _registered(cell, host):
    try:
        return services.get_compute(cell.database_connection, host)
    except errors.NotFound:
        return None


def test_heartbeat_with_a_stale_node_uuid_is_refused(start_agent, conductor):
    agent = start_agent("compute-e")
    client = ConductorClient(conductor.address, timeout=5)
    try:
        assert client.heartbeat("compute-e", agent.registration.node_uuid) is False
        with pytest.raises(NotRegistered):
            client.heartbeat("compute-e", "00000000-0000-0000-0000-00000000dead")
    finally:
        client.close()
