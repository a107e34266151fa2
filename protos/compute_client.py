"""The client of compute agents (cellar.compute.v1.ComputeAgent).

Conductors drive agents with it; cellar-api uses it only for what a tenant waits on
and that changes nothing (console output). It lives beside the contract so that both
tiers share it without importing each other.

Channels are opened once per agent address and reused: gRPC multiplexes calls over
one connection and reconnects on its own. Every call carries the current request id
and is bounded by a timeout.
"""

from __future__ import annotations

import dataclasses
import threading

import grpc

from db.cell.services import ComputeHost
from protos import rpc, versions
from protos.compute.v1 import compute_pb2, compute_pb2_grpc


class AgentError(Exception):
    """The agent failed the call."""


class AgentUnreachable(AgentError):
    """The agent did not answer (down, or too slow)."""


class GuestNotFound(AgentError):
    """The agent has no guest for the instance."""


class AgentTooOld(AgentError):
    """The agent's version predates the operation."""


@dataclasses.dataclass(frozen=True)
class NetworkInterface:
    """A guest's fixed IP on a provider network, and the MAC of its interface."""

    network_uuid: str
    address: str
    mac_address: str


@dataclasses.dataclass(frozen=True)
class Guest:
    """What a Spawn needs to know about an instance."""

    instance_uuid: str
    name: str
    vcpus: int
    memory_mb: int
    root_gb: int
    image_ref: str
    interfaces: tuple[NetworkInterface, ...] = ()


class AgentClient:
    """Calls the agents of a cell by their registered addresses."""

    def __init__(self, timeout: float, tls: rpc.TLSFiles | None = None) -> None:
        self.timeout = timeout
        self.tls = tls
        self._channels: dict[str, tuple[grpc.Channel, compute_pb2_grpc.ComputeAgentStub]] = {}
        self._lock = threading.Lock()

    def _stub(self, address: str) -> compute_pb2_grpc.ComputeAgentStub:
        with self._lock:
            if address not in self._channels:
                channel = rpc.channel(address, self.tls)
                self._channels[address] = (channel, compute_pb2_grpc.ComputeAgentStub(channel))
            return self._channels[address][1]

    def _call(self, host: ComputeHost, operation: str, request):
        if host.version < versions.OPERATION_VERSIONS[operation]:
            raise AgentTooOld(f"agent of {host.host} (version {host.version}) "
                              f"cannot {operation}")
        method = getattr(self._stub(host.rpc_address), operation)
        try:
            return method(request, timeout=self.timeout, metadata=rpc.request_metadata())
        except grpc.RpcError as error:
            message = f"{operation} on {host.host}: {error.code().name}: {error.details()}"
            if error.code() in (grpc.StatusCode.UNAVAILABLE,
                                grpc.StatusCode.DEADLINE_EXCEEDED):
                raise AgentUnreachable(message) from error
            if error.code() == grpc.StatusCode.NOT_FOUND:
                raise GuestNotFound(message) from error
            raise AgentError(message) from error

    def spawn(self, host: ComputeHost, guest: Guest) -> int:
        """Create and start the guest on ``host``; its power state."""
        return self._call(host, "Spawn", compute_pb2.SpawnRequest(
            **dataclasses.asdict(guest))).power_state

    def destroy(self, host: ComputeHost, instance_uuid: str) -> bool:
        """Remove the guest from ``host``; False if it was not there."""
        return self._call(host, "Destroy", compute_pb2.DestroyRequest(
            instance_uuid=instance_uuid)).existed

    def power_on(self, host: ComputeHost, instance_uuid: str) -> int:
        """Start the guest; its power state."""
        return self._call(host, "PowerOn", compute_pb2.PowerOnRequest(
            instance_uuid=instance_uuid)).power_state

    def power_off(self, host: ComputeHost, instance_uuid: str) -> int:
        """Shut the guest down; its power state."""
        return self._call(host, "PowerOff", compute_pb2.PowerOffRequest(
            instance_uuid=instance_uuid)).power_state

    def reboot(self, host: ComputeHost, instance_uuid: str, hard: bool) -> int:
        """Restart the guest; its power state."""
        reboot_type = compute_pb2.REBOOT_TYPE_HARD if hard else compute_pb2.REBOOT_TYPE_SOFT
        return self._call(host, "Reboot", compute_pb2.RebootRequest(
            instance_uuid=instance_uuid, reboot_type=reboot_type)).power_state

    def pause(self, host: ComputeHost, instance_uuid: str) -> int:
        """Freeze the guest in memory; its power state."""
        return self._call(host, "Pause", compute_pb2.PauseRequest(
            instance_uuid=instance_uuid)).power_state

    def unpause(self, host: ComputeHost, instance_uuid: str) -> int:
        """Thaw a paused guest; its power state."""
        return self._call(host, "Unpause", compute_pb2.UnpauseRequest(
            instance_uuid=instance_uuid)).power_state

    def suspend(self, host: ComputeHost, instance_uuid: str) -> int:
        """Save the guest to disk and stop it; its power state."""
        return self._call(host, "Suspend", compute_pb2.SuspendRequest(
            instance_uuid=instance_uuid)).power_state

    def resume(self, host: ComputeHost, instance_uuid: str) -> int:
        """Start a suspended guest from its saved memory; its power state."""
        return self._call(host, "Resume", compute_pb2.ResumeRequest(
            instance_uuid=instance_uuid)).power_state

    def console_output(self, host: ComputeHost, instance_uuid: str,
                       length: int | None = None) -> str:
        """The last ``length`` lines of the guest's console log (all if None)."""
        return self._call(host, "GetConsoleOutput", compute_pb2.GetConsoleOutputRequest(
            instance_uuid=instance_uuid, length=length or 0)).output

    def close(self) -> None:
        """Close every channel."""
        with self._lock:
            for channel, _stub in self._channels.values():
                channel.close()
            self._channels.clear()
