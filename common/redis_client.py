"""One Redis client per URL per process."""

from __future__ import annotations

import threading

import redis

_clients: dict[str, redis.Redis] = {}
_lock = threading.Lock()


def get(url: str) -> redis.Redis:
    """The shared client for ``url`` (thread-safe: redis-py pools its connections)."""
    client = _clients.get(url)
    if client is None:
        with _lock:
            client = _clients.get(url)
            if client is None:
                client = _clients[url] = redis.Redis.from_url(
                    url, decode_responses=True, socket_timeout=10, socket_connect_timeout=2,
                    health_check_interval=30)
    return client


def close_all() -> None:
    """Close every client (after fork, or when a test tears down)."""
    with _lock:
        for client in _clients.values():
            client.close()
        _clients.clear()
