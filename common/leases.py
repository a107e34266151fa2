"""Short exclusive leases on Redis: one holder of a key at a time, across processes.

A task stream delivers a task again when its first delivery looks abandoned; a
delivery that is only slow would then run beside the new one. A lease taken for the
task's subject (an instance uuid) keeps the second one out until the first ends or
its lease runs out (the holder died).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator

import redis

from common import tasks

# Deletes the key only if it still holds our token: a lease that ran out and was
# taken by another holder is not ours to drop.
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


@contextlib.contextmanager
def held(client: redis.Redis, key: str, seconds: float) -> Iterator[None]:
    """Hold ``key`` for the block; tasks.Deferred at once if another holds it."""
    token = secrets.token_hex(8)
    if not client.set(key, token, nx=True, px=max(1, int(seconds * 1000))):
        raise tasks.Deferred(f"{key} is held by another worker")
    try:
        yield
    finally:
        client.eval(_RELEASE, 1, key, token)
