"""The agent's client of its cell conductor (cellar.conductor.v1.Conductor)."""

from __future__ import annotations

import dataclasses

import grpc

from compute_agent.manager import SERVICE_VERSION
from compute_agent.virt.driver import HostResources
from protos import rpc
from protos.compute.v1 import compute_pb2
from protos.conductor.v1 import conductor_pb2, conductor_pb2_grpc


class ConductorError(Exception):
    """The conductor could not be reached or failed the call."""


class NotRegistered(ConductorError):
    """The conductor does not know this host: register again."""


@dataclasses.dataclass(frozen=True)
class Registration:
    """What the conductor assigned to this host on registration."""

    cell_uuid: str
    cell_name: str
    node_uuid: str
    heartbeat_interval: float
    conductor_version: int


class ConductorClient:
    """Calls one conductor, each call bounded by ``timeout`` seconds."""

    def __init__(self, address: str, timeout: float, tls: rpc.TLSFiles | None = None) -> None:
        self.address = address
        self.timeout = timeout
        self.channel = rpc.channel(address, tls)
        self.stub = conductor_pb2_grpc.ConductorStub(self.channel)

    def _call(self, method, request):
        try:
            return method(request, timeout=self.timeout, metadata=rpc.request_metadata())
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                raise NotRegistered(error.details()) from error
            raise ConductorError(f"{self.address}: {error.code().name}: {error.details()}"
                                 ) from error

    def register(self, host: str, rpc_address: str, resources: HostResources) -> Registration:
        """Register ``host`` (served at ``rpc_address``) with its hypervisor totals."""
        reply = self._call(self.stub.Register, conductor_pb2.RegisterRequest(
            host=host, rpc_address=rpc_address, service_version=SERVICE_VERSION,
            hypervisor_type=resources.hypervisor_type, vcpus=resources.vcpus,
            memory_mb=resources.memory_mb, local_gb=resources.local_gb))
        return Registration(cell_uuid=reply.cell_uuid, cell_name=reply.cell_name,
                            node_uuid=reply.node_uuid,
                            heartbeat_interval=reply.heartbeat_interval,
                            conductor_version=reply.service_version)

    def heartbeat(self, host: str, node_uuid: str) -> bool:
        """Report that ``host`` is alive; returns whether an operator disabled it."""
        reply = self._call(self.stub.Heartbeat, conductor_pb2.HeartbeatRequest(
            host=host, node_uuid=node_uuid))
        return reply.disabled

    def report_power_states(self, host: str, states: dict[str, int]) -> int:
        """Send the guests' power states; returns how many instances the conductor fixed."""
        reply = self._call(self.stub.ReportPowerStates, conductor_pb2.ReportPowerStatesRequest(
            host=host, states=[compute_pb2.InstancePowerState(instance_uuid=u, power_state=s)
                               for u, s in sorted(states.items())]))
        return reply.updated

    def close(self) -> None:
        """Close the channel."""
        self.channel.close()
