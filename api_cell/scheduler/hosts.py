"""What the scheduler knows of one candidate host."""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass
class HostCandidate:
    """One allocation candidate, with what liveness says of its host."""

    node_uuid: str
    allocations: dict[str, Any]
    summary: dict[str, Any]
    host: str | None = None
    cell_uuid: str | None = None
    disabled: bool = False
    weight: float = 0.0

    def free(self, resource_class: str) -> float:
        """Capacity left of ``resource_class`` on the root provider."""
        usage = self.summary.get("resources", {}).get(resource_class)
        if usage is None:
            return 0.0
        return usage["capacity"] - usage["used"]


@dataclasses.dataclass(frozen=True)
class Selection:
    """Where an instance goes: its host, cell and the allocation claimed for it."""

    host: str
    node_uuid: str
    cell_uuid: str
    allocations: dict[str, Any]


def candidates_from(reply: dict[str, Any]) -> list[HostCandidate]:
    """Turn a GET /allocation_candidates reply into one candidate per request.

    Cellar's hosts are single root providers, so the node is the provider that holds
    VCPU (or the only provider of the request).
    """
    summaries = reply.get("provider_summaries", {})
    result = []
    for request in reply.get("allocation_requests", []):
        allocations = request["allocations"]
        node = next((rp for rp, a in allocations.items() if "VCPU" in a["resources"]),
                    next(iter(allocations)))
        result.append(HostCandidate(node_uuid=node, allocations=allocations,
                                    summary=summaries.get(node, {})))
    return result
