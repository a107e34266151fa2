"""Which compute hosts are up, as TTL keys in Redis.

A cell conductor refreshes a host's key on every heartbeat the host's agent sends; the
scheduler reads the keys of its candidate hosts in one round trip. A key that expires
means the host stopped reporting: nothing to clean up.
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
