"""The interface every virt driver implements, and the values it trades in."""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Iterable


class DriverError(Exception):
    """The hypervisor refused or failed an operation."""


class InstanceNotFound(DriverError):
    """The hypervisor has no guest for the instance."""


@dataclasses.dataclass(frozen=True)
class GuestSpec:
    """What a guest is made of, from the instance and its flavor."""

    instance_uuid: str
    name: str
    vcpus: int
    memory_mb: int
    root_gb: int
    image_ref: str
    # The image's file on this host (from the agent's image cache) and its format.
    image_path: str | None = None
    image_format: str | None = None
    # (network uuid, address, MAC) of each interface, as the conductor sent them.
    interfaces: tuple[tuple[str, str, str], ...] = ()


@dataclasses.dataclass(frozen=True)
class HostResources:
    """The hypervisor's totals, before reservations and allocation ratios."""

    hypervisor_type: str
    vcpus: int
    memory_mb: int
    local_gb: int


class ComputeDriver(abc.ABC):
    """A hypervisor seen by one host's agent.

    Every operation is keyed by instance uuid and safe to repeat: the conductor may
    deliver a task twice. Power states use the numbers of ``common.states``.
    """

    @abc.abstractmethod
    def resources(self) -> HostResources:
        """The host's hypervisor type and resource totals."""

    @abc.abstractmethod
    def spawn(self, spec: GuestSpec) -> int:
        """Create and start the guest (just start it if it exists); its power state."""

    @abc.abstractmethod
    def destroy(self, instance_uuid: str) -> bool:
        """Power off and remove the guest; False if there was none."""

    @abc.abstractmethod
    def power_on(self, instance_uuid: str) -> int:
        """Start the guest if it is off; its power state."""

    @abc.abstractmethod
    def power_off(self, instance_uuid: str) -> int:
        """Shut the guest down (cleanly if it can); its power state."""

    @abc.abstractmethod
    def reboot(self, instance_uuid: str, hard: bool) -> int:
        """Restart the guest, power-cycling it if ``hard``; its power state."""

    @abc.abstractmethod
    def power_states(self, instance_uuids: Iterable[str] | None = None) -> dict[str, int]:
        """Power state by instance uuid of the listed guests (all if None) that exist."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the connection to the hypervisor."""

    # Operations of service version 2. Not abstract: a driver that lacks one says so
    # and the agent answers the conductor with an error instead of failing to start.

    def pause(self, instance_uuid: str) -> int:
        """Freeze the running guest in memory; its power state."""
        raise DriverError(f"{type(self).__name__} cannot pause")

    def unpause(self, instance_uuid: str) -> int:
        """Thaw a paused guest; its power state."""
        raise DriverError(f"{type(self).__name__} cannot unpause")

    def suspend(self, instance_uuid: str) -> int:
        """Save the guest's memory to disk and stop it; its power state."""
        raise DriverError(f"{type(self).__name__} cannot suspend")

    def resume(self, instance_uuid: str) -> int:
        """Start a suspended guest from its saved memory; its power state."""
        raise DriverError(f"{type(self).__name__} cannot resume")

    def console_output(self, instance_uuid: str, length: int | None = None) -> str:
        """The last ``length`` lines of the guest's console (all if None)."""
        raise DriverError(f"{type(self).__name__} has no console log")
