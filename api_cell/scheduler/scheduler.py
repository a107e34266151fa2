"""The scheduling pipeline: candidates -> filters -> weighers -> claim."""

from __future__ import annotations

import logging
import random
from typing import Any

import redis

from api_cell.cell_health import CellHealth, default_health
from api_cell.scheduler import filters, server_group_filter, weighers, zones
from api_cell.scheduler.hosts import HostCandidate, Selection, candidates_from
from common import liveness
from common.placement_client import GenerationConflict, PlacementClient
from db.api.cells import CellCache

LOG = logging.getLogger(__name__)


class NoValidHost(Exception):
    """No host can take the instance; ``reasons`` says why, per rejected node."""

    def __init__(self, message: str, reasons: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.reasons = reasons or {}


class Scheduler:
    """Chooses a host for an instance and claims its resources in placement."""

    def __init__(self, placement: PlacementClient, redis_client: redis.Redis, key_prefix: str,
                 cells: CellCache, max_candidates: int = 100, max_attempts: int = 5,
                 subset_size: int = 1, rng: random.Random | None = None,
                 health: CellHealth | None = None, default_zone: str = "nova") -> None:
        self.placement = placement
        self.redis = redis_client
        self.key_prefix = key_prefix
        self.cells = cells
        self.max_candidates = max_candidates
        self.max_attempts = max_attempts
        self.subset_size = subset_size
        self.rng = rng or random.Random()
        # The cell breakers of this process: hosts of a down cell are filtered out.
        self.health = health if health is not None else default_health()
        self.weighers: list[weighers.Weigher] = [weighers.ram]
        # The availability zone of hosts no zone aggregate holds.
        self.default_zone = default_zone

    def select(self, instance_uuid: str, spec: dict[str, Any]) -> Selection:
        """Pick a host for ``instance_uuid`` and claim ``spec['resources']`` on it."""
        zone = spec.get("availability_zone")
        in_zone = zones.aggregates_of(self.cells.api_url, zone, self.default_zone)
        if in_zone == []:
            raise NoValidHost(f"No valid host was found. Availability zone {zone} has no "
                              "hosts.")
        return self.place(instance_uuid, spec["resources"], spec["project_id"],
                          spec["user_id"], self._filters(spec), self.max_candidates,
                          "No valid host was found. ",
                          member_of=f"in:{','.join(in_zone)}" if in_zone else None)

    def place(self, consumer: str, resources: dict[str, int], project_id: str, user_id: str,
              host_filters: list[filters.HostFilter], limit: int | None,
              failure: str, member_of: str | None = None) -> Selection:
        """The pipeline: candidates -> liveness -> ``host_filters`` -> weighers -> claim.

        ``failure`` starts the NoValidHost message; each rejected node's reason is kept.
        ``member_of`` (placement's syntax) limits the candidates to providers in those
        aggregates.
        """
        candidates = candidates_from(self.placement.allocation_candidates(
            resources, limit=limit, member_of=member_of))
        if not candidates:
            raise NoValidHost(failure + "There are not enough hosts available.")
        self._add_liveness(candidates)
        rejections: dict[str, str] = {}
        kept = filters.apply(candidates, [self._conductor_up(candidates), *host_filters],
                             rejections)
        ranked = weighers.order(kept, self.weighers, self.subset_size, self.rng)
        for candidate in ranked[:self.max_attempts]:
            if self._claim(consumer, project_id, user_id, candidate):
                return Selection(candidate.host, candidate.node_uuid, candidate.cell_uuid,
                                 candidate.allocations)
            rejections[candidate.node_uuid] = "claim lost a race for its resources"
        LOG.info("no valid host for %s: %s", consumer, rejections)
        raise NoValidHost(failure + _summary(rejections), rejections)

    def describe(self, node_uuid: str) -> dict[str, Any] | None:
        """What liveness says of one node (host, cell_uuid, disabled), or None if down."""
        return liveness.live_nodes(self.redis, self.key_prefix, [node_uuid]).get(node_uuid)

    def _filters(self, spec: dict[str, Any] | None = None) -> list[filters.HostFilter]:
        disabled = {cell.uuid for cell in self.cells.cells() if cell.disabled}
        chosen = [filters.compute_service_up, filters.cell_enabled(disabled)]
        down = self.health.down_cells()
        if down:
            chosen.append(filters.cell_up(down))
        group_filter = server_group_filter.build(self.cells, spec or {}, self.health)
        if group_filter is not None:
            chosen.append(group_filter)
        destination = (spec or {}).get("requested_destination")
        if destination:
            chosen.append(filters.requested_destination(destination.get("host"),
                                                        destination.get("node")))
        zone = (spec or {}).get("availability_zone")
        if zone:
            chosen.append(zones.in_zone(self.cells.api_url, zone, self.default_zone))
        return chosen

    def _conductor_up(self, candidates: list[HostCandidate]) -> filters.HostFilter:
        """The filter of hosts whose cell has a conductor to build on them: one read of
        the alive keys of the candidates' cells (not of every cell)."""
        cells = {c.cell_uuid for c in candidates if c.cell_uuid is not None}
        served = liveness.cells_with_conductor(self.redis, self.key_prefix, cells)
        return filters.conductor_up(cells - served)

    def _add_liveness(self, candidates: list[HostCandidate]) -> None:
        live = liveness.live_nodes(self.redis, self.key_prefix,
                                   (c.node_uuid for c in candidates))
        for candidate in candidates:
            info = live.get(candidate.node_uuid)
            if info is not None:
                candidate.host = info["host"]
                candidate.cell_uuid = info["cell_uuid"]
                candidate.disabled = bool(info.get("disabled"))

    def _claim(self, consumer: str, project_id: str, user_id: str,
               candidate: HostCandidate) -> bool:
        try:
            self.placement.claim(consumer, candidate.allocations, project_id, user_id)
            return True
        except GenerationConflict:
            LOG.info("claim of %s on %s lost a race; trying the next host",
                     consumer, candidate.host)
            return False


def _summary(rejections: dict[str, str]) -> str:
    counts: dict[str, int] = {}
    for reason in rejections.values():
        counts[reason] = counts.get(reason, 0) + 1
    return "; ".join(f"{n} host(s): {reason}" for reason, n in sorted(counts.items()))
