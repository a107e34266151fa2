"""Filters: each drops the hosts it rejects and says why."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from api_cell.scheduler.hosts import HostCandidate

# A filter answers None to keep a host, or the reason it rejects it.
HostFilter = Callable[[HostCandidate], str | None]


def compute_service_up(candidate: HostCandidate) -> str | None:
    """Keep hosts whose agent heartbeats (liveness key present) and is not disabled."""
    if candidate.host is None:
        return "compute service is down (no recent heartbeat)"
    if candidate.disabled:
        return f"compute service on {candidate.host} is disabled"
    return None


def cell_enabled(disabled_cells: set[str]) -> HostFilter:
    """Keep hosts whose cell takes new instances."""

    def check(candidate: HostCandidate) -> str | None:
        if candidate.cell_uuid in disabled_cells:
            return f"cell {candidate.cell_uuid} is disabled"
        return None

    return check


def requested_destination(host: str | None, node: str | None) -> HostFilter:
    """Keep only the host (and compute node uuid) an admin asked for at create (2.74)."""

    def check(candidate: HostCandidate) -> str | None:
        if host is not None and candidate.host != host:
            return f"not the requested host {host}"
        if node is not None and candidate.node_uuid != node:
            return f"not the requested node {node}"
        return None

    return check


def cell_up(down_cells: set[str]) -> HostFilter:
    """Keep hosts whose cell's database answers (its breaker in this process is closed)."""

    def check(candidate: HostCandidate) -> str | None:
        if candidate.cell_uuid in down_cells:
            return f"cell {candidate.cell_uuid} is down (its database does not answer)"
        return None

    return check


def conductor_up(unserved_cells: set[str]) -> HostFilter:
    """Keep hosts whose cell has a conductor vouching for it (its alive key in Redis)."""

    def check(candidate: HostCandidate) -> str | None:
        if candidate.cell_uuid in unserved_cells:
            return f"cell {candidate.cell_uuid} has no conductor answering"
        return None

    return check


def apply(candidates: Iterable[HostCandidate], host_filters: Iterable[HostFilter],
          rejections: dict[str, str]) -> list[HostCandidate]:
    """The candidates every filter keeps; each rejected node's reason goes in ``rejections``."""
    kept = []
    filters = list(host_filters)
    for candidate in candidates:
        reason = next((r for f in filters if (r := f(candidate)) is not None), None)
        if reason is None:
            kept.append(candidate)
        else:
            rejections[candidate.node_uuid] = reason
    return kept
