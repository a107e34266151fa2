"""Which compute hosts and which cells' conductors are up, as TTL keys in Redis.

A cell conductor refreshes a host's key on every heartbeat the host's agent sends; the
scheduler reads the keys of its candidate hosts in one round trip. Every conductor
also refreshes its cell's key a few times per TTL: a cell whose key expired has no
conductor taking its tasks. A key that expires means its owner stopped reporting:
nothing to clean up.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import redis


def compute_key(prefix: str, node_uuid: str) -> str:
    """Liveness key of the compute node whose provider uuid is ``node_uuid``."""
    return f"{prefix}:compute:{node_uuid}"


def mark_up(client: redis.Redis, prefix: str, node_uuid: str, ttl_seconds: float,
            info: dict[str, Any]) -> None:
    """Record that the node is up for ``ttl_seconds``, with what the scheduler needs."""
    client.set(compute_key(prefix, node_uuid), json.dumps(info), px=int(ttl_seconds * 1000))


def mark_down(client: redis.Redis, prefix: str, node_uuid: str) -> None:
    """Forget the node at once (its agent stopped cleanly, or it was deleted)."""
    client.delete(compute_key(prefix, node_uuid))


def live_nodes(client: redis.Redis, prefix: str,
               node_uuids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The info of each listed node that is up, by node uuid."""
    uuids = list(node_uuids)
    if not uuids:
        return {}
    values = client.mget([compute_key(prefix, u) for u in uuids])
    return {u: json.loads(v) for u, v in zip(uuids, values, strict=True) if v is not None}


def conductor_key(prefix: str, cell_uuid: str) -> str:
    """Liveness key of the conductors of cell ``cell_uuid`` (any of them refreshes it)."""
    return f"{prefix}:conductor-alive:{cell_uuid}"


def mark_conductor_up(client: redis.Redis, prefix: str, cell_uuid: str,
                      ttl_seconds: float) -> None:
    """Record that a conductor of the cell takes its tasks, for ``ttl_seconds``."""
    client.set(conductor_key(prefix, cell_uuid), "1", px=int(ttl_seconds * 1000))


def cells_with_conductor(client: redis.Redis, prefix: str,
                         cell_uuids: Iterable[str]) -> set[str]:
    """The listed cells with a live conductor, in one round trip."""
    uuids = list(cell_uuids)
    if not uuids:
        return set()
    values = client.mget([conductor_key(prefix, u) for u in uuids])
    return {u for u, v in zip(uuids, values, strict=True) if v is not None}
