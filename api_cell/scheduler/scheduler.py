"""The scheduling pipeline: candidates -> filters -> weighers -> claim."""

from __future__ import annotations

import logging
import random
from typing import Any

import redis

from api_cell.scheduler import filters, server_group_filter, weighers
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
                 subset_size: int = 1, rng: random.Random | None = None) -> None:
        self.placement = placement
        self.redis = redis_client
        self.key_prefix = key_prefix
        self.cells = cells
        self.max_candidates = max_candidates
        self.max_attempts = max_attempts
        self.subset_size = subset_size
        self.rng = rng or random.Random()
        self.weighers: list[weighers.Weigher] = [weighers.ram]

    def select(self, instance_uuid: str, spec: dict[str, Any]) -> Selection:
        """Pick a host for ``instance_uuid`` and claim ``spec['resources']`` on it."""
        return self.place(instance_uuid, spec["resources"], spec["project_id"],
                          spec["user_id"], self._filters(spec), self.max_candidates,
                          "No valid host was found. ")

    def place(self, consumer: str, resources: dict[str, int], project_id: str, user_id: str,
              host_filters: list[filters.HostFilter], limit: int | None,
              failure: str) -> Selection:
        """The pipeline: candidates -> liveness -> ``host_filters`` -> weighers -> claim.

        ``failure`` starts the NoValidHost message; each rejected node's reason is kept.
        """
        candidates = candidates_from(
            self.placement.allocation_candidates(resources, limit=limit))
        if not candidates:
            raise NoValidHost(failure + "There are not enough hosts available.")
        self._add_liveness(candidates)
        rejections: dict[str, str] = {}
        kept = filters.apply(candidates, host_filters, rejections)
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
        group_filter = server_group_filter.build(self.cells, spec or {})
        if group_filter is not None:
            chosen.append(group_filter)
        return chosen

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
