"""What the agent does for its conductor, free of any transport.

Operations on one instance are serialized: a redelivered task may make the conductor
call twice at once (say, Spawn while an earlier Spawn still runs), and the driver's
check-then-act steps must not interleave.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from compute_agent.virt import driver

LOG = logging.getLogger(__name__)

# Version of the agent's ComputeAgent API, sent on registration; the conductor
# asks only for what this version knows (bump it when adding an RPC or a field
# whose absence an older conductor must know about).
SERVICE_VERSION = 2

LOCK_STRIPES = 256


class ComputeManager:
    """Runs guest operations through a virt driver, one at a time per instance."""

    def __init__(self, virt: driver.ComputeDriver) -> None:
        self.virt = virt
        self._locks = [threading.Lock() for _ in range(LOCK_STRIPES)]

    def _locked(self, instance_uuid: str) -> threading.Lock:
        # Striped: a fixed number of locks however many instances come and go.
        return self._locks[hash(instance_uuid) % len(self._locks)]

    def spawn(self, spec: driver.GuestSpec) -> int:
        """Create and start the guest; idempotent. Returns its power state."""
        with self._locked(spec.instance_uuid):
            LOG.info("spawning instance %s (%d vcpus, %d MiB)", spec.instance_uuid,
                     spec.vcpus, spec.memory_mb)
            return self.virt.spawn(spec)

    def destroy(self, instance_uuid: str) -> bool:
        """Remove the guest; False if there was none."""
        with self._locked(instance_uuid):
            LOG.info("destroying instance %s", instance_uuid)
            return self.virt.destroy(instance_uuid)

    def power_on(self, instance_uuid: str) -> int:
        """Start the guest; returns its power state."""
        with self._locked(instance_uuid):
            LOG.info("powering on instance %s", instance_uuid)
            return self.virt.power_on(instance_uuid)

    def power_off(self, instance_uuid: str) -> int:
        """Shut the guest down; returns its power state."""
        with self._locked(instance_uuid):
            LOG.info("powering off instance %s", instance_uuid)
            return self.virt.power_off(instance_uuid)

    def reboot(self, instance_uuid: str, hard: bool) -> int:
        """Restart the guest; returns its power state."""
        with self._locked(instance_uuid):
            LOG.info("rebooting instance %s (%s)", instance_uuid, "hard" if hard else "soft")
            return self.virt.reboot(instance_uuid, hard)

    def pause(self, instance_uuid: str) -> int:
        """Freeze the guest in memory; returns its power state."""
        with self._locked(instance_uuid):
            LOG.info("pausing instance %s", instance_uuid)
            return self.virt.pause(instance_uuid)

    def unpause(self, instance_uuid: str) -> int:
        """Thaw the guest; returns its power state."""
        with self._locked(instance_uuid):
            LOG.info("unpausing instance %s", instance_uuid)
            return self.virt.unpause(instance_uuid)

    def suspend(self, instance_uuid: str) -> int:
        """Save the guest to disk and stop it; returns its power state."""
        with self._locked(instance_uuid):
            LOG.info("suspending instance %s", instance_uuid)
            return self.virt.suspend(instance_uuid)

    def resume(self, instance_uuid: str) -> int:
        """Start the guest from its saved memory; returns its power state."""
        with self._locked(instance_uuid):
            LOG.info("resuming instance %s", instance_uuid)
            return self.virt.resume(instance_uuid)

    def console_output(self, instance_uuid: str, length: int | None = None) -> str:
        """The last ``length`` lines of the guest's console (all if None)."""
        return self.virt.console_output(instance_uuid, length)

    def power_states(self, instance_uuids: Iterable[str] | None = None) -> dict[str, int]:
        """Power state by instance uuid of the guests that exist (all if None)."""
        return self.virt.power_states(instance_uuids)
