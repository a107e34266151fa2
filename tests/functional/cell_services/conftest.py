"""Fixtures of the cell tier's functional tests.

A real conductor (gRPC on loopback, MariaDB cell and API databases, Redis stream)
and real compute agents (gRPC on loopback, libvirt test:///default), in this
process, with the real placement service over HTTP.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from cell_services.service import Conductor, ConductorSettings
from common import tasks
from common.placement_client import PlacementClient
from compute_agent.conductor_client import ConductorClient
from compute_agent.resources import AllocationPolicy, ResourceReporter
from compute_agent.service import Agent
from compute_agent.virt.libvirt import LibvirtDriver
from db.api import cells

HEARTBEAT = 0.3


def _wait_for(check: Callable[[], object], timeout: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def wait_for() -> Callable[..., object]:
    """``wait_for(check, timeout=10, what=...)``: poll until ``check()`` is truthy."""
    return _wait_for


@pytest.fixture
def heartbeat_interval() -> float:
    """The heartbeat interval the test conductor hands to agents."""
    return HEARTBEAT


@pytest.fixture
def cell(api_db: str, cell_dbs: dict[str, str]) -> cells.Cell:
    """Cell ``cell1`` mapped in the API DB (tasks in the shared Redis)."""
    return cells.create(api_db, "cell1", cell_dbs["cell1"])


@pytest.fixture
def placement(placement_endpoint: str) -> Iterator[PlacementClient]:
    """A client of the real placement service."""
    client = PlacementClient(placement_endpoint)
    yield client
    client.session.close()


@pytest.fixture
def conductor(cell, api_db, redis_url, redis_prefix, placement) -> Iterator[Conductor]:
    """A running conductor of cell1."""
    settings = ConductorSettings(cell="cell1", api_url=api_db, redis_url=redis_url,
                                 key_prefix=redis_prefix, host="conductor-host",
                                 heartbeat_interval=HEARTBEAT, workers=2, agent_timeout=10,
                                 task_reclaim_idle=2.0)
    running = Conductor(settings, placement)
    running.start()
    yield running
    running.stop(grace=1)


@pytest.fixture
def stream(conductor: Conductor, redis_url: str, redis_prefix: str) -> tasks.TaskStream:
    """The task stream of cell1, as the superconductor and the API feed it."""
    return tasks.cell_stream(None, redis_url, redis_prefix, conductor.cell.uuid)


@pytest.fixture
def start_agent(conductor, placement, placement_endpoint
                ) -> Iterator[Callable[[str], Agent]]:
    """Factory: a compute agent for a host name, registered, its inventory reported."""
    agents: list[Agent] = []

    def start(host: str | None = None) -> Agent:
        host = host or f"compute-{uuid.uuid4().hex[:8]}"
        agent = Agent(host, LibvirtDriver("test:///default", host, shutdown_timeout=1),
                      ConductorClient(conductor.address, timeout=5),
                      ResourceReporter(PlacementClient(placement_endpoint),
                                       AllocationPolicy()),
                      audit_interval=1.0)
        agent.start()
        agents.append(agent)
        assert agent.registered.wait(10), "agent did not register"
        node_uuid = agent.registration.node_uuid
        _wait_for(lambda: placement.provider(node_uuid)
                  and placement.inventories(node_uuid)["inventories"], what="inventory")
        return agent

    yield start
    for agent in agents:
        agent.stop(grace=1)
    # The in-process test hypervisor outlives the agents: remove their guests.
    for host in {agent.host for agent in agents}:
        cleaner = LibvirtDriver("test:///default", host)
        for instance_uuid in cleaner.power_states():
            cleaner.destroy(instance_uuid)
        cleaner.close()
