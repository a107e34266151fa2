"""Registration, heartbeats and power-state reports of the cell's compute hosts.

Transport-agnostic: the gRPC servicer turns messages into the values used here.
"""

from __future__ import annotations

import dataclasses
import logging

import redis

from common import liveness, states
from db import errors
from db.api import hosts
from db.api.cells import Cell
from db.cell import instances, services
from protos import versions

LOG = logging.getLogger(__name__)


class AgentTooOld(Exception):
    """The agent's service version is older than this conductor supports."""


@dataclasses.dataclass(frozen=True)
class AgentInfo:
    """What an agent says about itself when it registers."""

    host: str
    rpc_address: str
    service_version: int
    hypervisor_type: str
    vcpus: int
    memory_mb: int
    local_gb: int


@dataclasses.dataclass(frozen=True)
class Registration:
    """What the conductor tells a registered agent."""

    cell_uuid: str
    cell_name: str
    node_uuid: str
    heartbeat_interval: float
    service_version: int


class HostRegistry:
    """Keeps the cell DB, the host mappings and the liveness keys of the cell's hosts."""

    def __init__(self, cell: Cell, api_url: str, redis_client: redis.Redis,
                 key_prefix: str, heartbeat_interval: float) -> None:
        self.cell = cell
        self.api_url = api_url
        self.redis = redis_client
        self.key_prefix = key_prefix
        self.heartbeat_interval = heartbeat_interval

    @property
    def cell_url(self) -> str:
        """The cell database URL."""
        return self.cell.database_connection

    def register(self, agent: AgentInfo) -> Registration:
        """Record the host and make it schedulable; idempotent per host.

        Raises ValueError for an incomplete request, AgentTooOld, and db Conflict when
        the host is mapped to another cell.
        """
        if not agent.host or not agent.rpc_address:
            raise ValueError("host and rpc_address are required")
        if agent.service_version < versions.MIN_AGENT_VERSION:
            raise AgentTooOld(f"agent version {agent.service_version} < "
                              f"{versions.MIN_AGENT_VERSION}")
        # Map first: a host another cell owns must not get rows in this one.
        hosts.ensure(self.api_url, agent.host, self.cell.uuid)
        compute = services.register_compute(
            self.cell_url, agent.host, agent.rpc_address, agent.service_version,
            agent.hypervisor_type, agent.vcpus, agent.memory_mb, agent.local_gb)
        self._mark_up(compute)
        LOG.info("registered host %s at %s as node %s", agent.host, agent.rpc_address,
                 compute.node_uuid)
        return Registration(cell_uuid=self.cell.uuid, cell_name=self.cell.name,
                            node_uuid=compute.node_uuid,
                            heartbeat_interval=self.heartbeat_interval,
                            service_version=versions.CONDUCTOR_VERSION)

    def heartbeat(self, host: str, node_uuid: str) -> services.ComputeHost:
        """Count a report of ``host`` and keep it live.

        db NotFound if the host is unregistered or registered with another node uuid
        (its rows were recreated): either way the agent must register again.
        """
        if services.get_compute(self.cell_url, host).node_uuid != node_uuid:
            raise errors.NotFound(f"node {node_uuid} is not the node of host {host}")
        compute = services.heartbeat(self.cell_url, host)
        self._mark_up(compute)
        return compute

    def report_power_states(self, host: str, reported: dict[str, int]) -> int:
        """Record the power states the hypervisor of ``host`` reports; rows changed.

        Only idle instances (no task_state) are touched: a task in flight sets the
        power state itself when it ends. A guest the hypervisor no longer has is
        recorded as NOSTATE.
        """
        changed = 0
        for instance in instances.list_on_host(self.cell_url, host):
            actual = reported.get(instance.uuid, states.NOSTATE)
            if instance.task_state is not None or instance.power_state == actual:
                continue
            try:
                instances.update(self.cell_url, instance.uuid, expected_task_state=None,
                                 power_state=actual)
            except (errors.Conflict, errors.NotFound):
                continue  # a task started (or a delete finished) meanwhile
            LOG.info("instance %s power state %s -> %s (reported by %s)", instance.uuid,
                     instance.power_state, actual, host)
            changed += 1
        return changed

    def _mark_up(self, compute: services.ComputeHost) -> None:
        liveness.mark_up(self.redis, self.key_prefix, compute.node_uuid,
                         3 * self.heartbeat_interval,
                         {"host": compute.host, "cell_uuid": self.cell.uuid,
                          "disabled": compute.disabled})
