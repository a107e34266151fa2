"""The host's inventory in placement: totals from the hypervisor, policy from config."""

from __future__ import annotations

import dataclasses
import logging
import math
from typing import Any

from common.placement_client import PlacementClient
from compute_agent.virt.driver import HostResources

LOG = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class AllocationPolicy:
    """How much of the host placement may hand out, and what the host keeps."""

    cpu_allocation_ratio: float = 16.0
    ram_allocation_ratio: float = 1.5
    disk_allocation_ratio: float = 1.0
    reserved_host_cpus: int = 0
    reserved_host_memory_mb: int = 512
    reserved_host_disk_mb: int = 0


def _inventory(total: int, reserved: int, ratio: float) -> dict[str, Any]:
    # Placement rejects reserved > total; a host smaller than its reservation offers 0.
    return {"total": total, "reserved": min(reserved, total), "min_unit": 1,
            "max_unit": total, "step_size": 1, "allocation_ratio": ratio}


def inventories(resources: HostResources, policy: AllocationPolicy) -> dict[str, dict]:
    """The placement inventories of a host (classes with a zero total are left out)."""
    wanted = {
        "VCPU": (resources.vcpus, policy.reserved_host_cpus, policy.cpu_allocation_ratio),
        "MEMORY_MB": (resources.memory_mb, policy.reserved_host_memory_mb,
                      policy.ram_allocation_ratio),
        "DISK_GB": (resources.local_gb, math.ceil(policy.reserved_host_disk_mb / 1024),
                    policy.disk_allocation_ratio),
    }
    return {rc: _inventory(total, reserved, ratio)
            for rc, (total, reserved, ratio) in wanted.items() if total > 0}


class ResourceReporter:
    """Keeps the host's resource provider and its inventory current in placement."""

    def __init__(self, placement: PlacementClient, policy: AllocationPolicy) -> None:
        self.placement = placement
        self.policy = policy

    def report(self, node_uuid: str, host: str, resources: HostResources) -> None:
        """Create the provider ``node_uuid`` (named ``host``) if needed; set its inventory."""
        self.placement.ensure_provider(node_uuid, host)
        self.placement.set_inventories(node_uuid, inventories(resources, self.policy))
        LOG.debug("reported inventory of %s to placement", host)

    def close(self) -> None:
        """Close the connections to placement."""
        self.placement.session.close()
