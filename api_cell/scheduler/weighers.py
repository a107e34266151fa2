"""Weighers: order the hosts that passed the filters, best first."""

from __future__ import annotations

import random
from collections.abc import Callable

from api_cell.scheduler.hosts import HostCandidate

Weigher = Callable[[HostCandidate], float]


def ram(candidate: HostCandidate) -> float:
    """More free RAM weighs more: spread instances across hosts."""
    return candidate.free("MEMORY_MB")


def order(candidates: list[HostCandidate], weighers: list[Weigher], subset_size: int,
          rng: random.Random) -> list[HostCandidate]:
    """Sort by total weight; the first host is picked at random among the best ``subset_size``.

    The random pick keeps concurrent schedulers, which all see the same candidates,
    from racing for the same host.
    """
    for candidate in candidates:
        candidate.weight = sum(w(candidate) for w in weighers)
    ranked = sorted(candidates, key=lambda c: c.weight, reverse=True)
    if subset_size > 1 and len(ranked) > 1:
        first = rng.randrange(min(subset_size, len(ranked)))
        ranked.insert(0, ranked.pop(first))
    return ranked
