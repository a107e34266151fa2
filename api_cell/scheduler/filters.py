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
