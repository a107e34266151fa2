"""The scheduler's stages, with placement and liveness replaced by in-memory fakes."""

from __future__ import annotations

import json
import random

import pytest

from api_cell.scheduler import filters, weighers
from api_cell.scheduler.hosts import HostCandidate, candidates_from
from api_cell.scheduler.scheduler import NoValidHost, Scheduler
from common.placement_client import GenerationConflict

SPEC = {"resources": {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1},
        "project_id": "p", "user_id": "u"}


def reply(free_ram: dict[str, int]) -> dict:
    """An allocation-candidates reply with one root provider per node."""
    return {
        "allocation_requests": [
            {"allocations": {node: {"resources": dict(SPEC["resources"])}}}
            for node in free_ram],
        "provider_summaries": {
            node: {"resources": {"MEMORY_MB": {"capacity": 8192, "used": 8192 - ram}}}
            for node, ram in free_ram.items()},
    }


class FakePlacement:
    def __init__(self, candidates: dict, losing: set[str] = frozenset()) -> None:
        self.candidates = candidates
        self.losing = set(losing)
        self.claims: list[tuple[str, str]] = []

    def allocation_candidates(self, resources, limit=None, member_of=None):
        return self.candidates

    def claim(self, consumer, allocations, project_id, user_id):
        node = next(iter(allocations))
        if node in self.losing:
            raise GenerationConflict("PUT", "/allocations", 409, "lost")
        self.claims.append((consumer, node))


class FakeRedis:
    """Liveness keys: the listed nodes are up; every cell but ``unserved`` has a
    conductor."""

    def __init__(self, live: dict[str, dict], unserved: set[str] = frozenset()) -> None:
        self.live = live
        self.unserved = unserved

    def mget(self, keys):
        return [self._get(*key.split(":")[1:]) for key in keys]

    def _get(self, kind: str, uuid: str) -> str | None:
        if kind == "conductor-alive":
            return None if uuid in self.unserved else "1"
        return json.dumps(self.live[uuid]) if uuid in self.live else None


class FakeCells:
    api_url = "sqlite://"  # only read for a zone, which these tests never ask for

    def __init__(self, disabled: set[str] = frozenset()) -> None:
        self.disabled = disabled

    def cells(self):
        return [type("Cell", (), {"uuid": u, "disabled": True}) for u in self.disabled]


def live(*nodes: str, cell: str = "c1", disabled: bool = False) -> dict[str, dict]:
    return {n: {"host": f"host-{n}", "cell_uuid": cell, "disabled": disabled} for n in nodes}


def make(candidates, live_nodes, losing=(), disabled_cells=(),
         unserved_cells=()) -> tuple[Scheduler, FakePlacement]:
    placement = FakePlacement(candidates, set(losing))
    scheduler = Scheduler(placement, FakeRedis(live_nodes, set(unserved_cells)), "pfx",
                          FakeCells(set(disabled_cells)), rng=random.Random(1))
    return scheduler, placement


def test_picks_host_with_most_free_ram():
    scheduler, placement = make(reply({"a": 1000, "b": 6000, "c": 3000}), live("a", "b", "c"))
    selection = scheduler.select("i1", SPEC)
    assert selection.node_uuid == "b"
    assert selection.host == "host-b"
    assert placement.claims == [("i1", "b")]


def test_lost_claim_moves_to_next_best_host():
    scheduler, placement = make(reply({"a": 1000, "b": 6000}), live("a", "b"), losing={"b"})
    assert scheduler.select("i1", SPEC).node_uuid == "a"


def test_down_host_is_filtered_with_reason():
    scheduler, _ = make(reply({"a": 1000, "b": 6000}), live("a"))
    assert scheduler.select("i1", SPEC).node_uuid == "a"
    with pytest.raises(NoValidHost) as info:
        make(reply({"b": 6000}), {})[0].select("i2", SPEC)
    assert "heartbeat" in info.value.reasons["b"]


def test_disabled_cell_gets_no_instance():
    scheduler, _ = make(reply({"a": 1000}), live("a", cell="c9"), disabled_cells={"c9"})
    with pytest.raises(NoValidHost) as info:
        scheduler.select("i1", SPEC)
    assert "disabled" in info.value.reasons["a"]


def test_no_candidates_is_no_valid_host():
    scheduler, _ = make({"allocation_requests": [], "provider_summaries": {}}, {})
    with pytest.raises(NoValidHost, match="No valid host"):
        scheduler.select("i1", SPEC)


def test_all_claims_lost_is_no_valid_host():
    scheduler, _ = make(reply({"a": 1, "b": 2}), live("a", "b"), losing={"a", "b"})
    with pytest.raises(NoValidHost) as info:
        scheduler.select("i1", SPEC)
    assert set(info.value.reasons) == {"a", "b"}


def test_filter_apply_records_every_rejection():
    rejections: dict[str, str] = {}
    up = HostCandidate("a", {}, {}, host="ha", cell_uuid="c")
    down = HostCandidate("b", {}, {})
    off = HostCandidate("c", {}, {}, host="hc", cell_uuid="c", disabled=True)
    kept = filters.apply([up, down, off], [filters.compute_service_up], rejections)
    assert kept == [up]
    assert set(rejections) == {"b", "c"}


def test_subset_size_spreads_the_first_pick():
    picks = set()
    for seed in range(20):
        ranked = weighers.order(candidates_from(reply({"a": 1, "b": 2, "c": 3})),
                                [weighers.ram], 3, random.Random(seed))
        picks.add(ranked[0].node_uuid)
    assert picks == {"a", "b", "c"}


def test_candidates_from_finds_the_vcpu_provider():
    data = {"allocation_requests": [{"allocations": {
        "share": {"resources": {"DISK_GB": 1}},
        "node": {"resources": {"VCPU": 1, "MEMORY_MB": 1}}}}],
        "provider_summaries": {"node": {"resources": {}}}}
    assert candidates_from(data)[0].node_uuid == "node"


def test_cell_without_a_conductor_gets_no_instance():
    nodes = {**live("a", cell="c1"), **live("b", cell="c2")}
    scheduler, placement = make(reply({"a": 6000, "b": 1000}), nodes, unserved_cells={"c1"})
    assert scheduler.select("i1", SPEC).node_uuid == "b"
    scheduler, _ = make(reply({"a": 6000}), live("a", cell="c1"), unserved_cells={"c1"})
    with pytest.raises(NoValidHost) as raised:
        scheduler.select("i2", SPEC)
    assert raised.value.reasons == {"a": "cell c1 has no conductor answering"}
