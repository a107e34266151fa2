"""A conductor vouches for its cell in Redis while it runs, and stops when it stops."""

from __future__ import annotations

import time

from common import liveness, redis_client


def _alive(redis_url: str, prefix: str, cell_uuid: str) -> bool:
    client = redis_client.get(redis_url)
    return cell_uuid in liveness.cells_with_conductor(client, prefix, [cell_uuid])


def test_cell_is_alive_while_its_conductor_runs(conductor, redis_url, redis_prefix,
                                                wait_for):
    cell_uuid = conductor.cell.uuid
    wait_for(lambda: _alive(redis_url, redis_prefix, cell_uuid), what="the alive key")
    ttl_ms = redis_client.get(redis_url).pttl(liveness.conductor_key(redis_prefix, cell_uuid))
    # The key is short-lived, so a dead conductor is noticed within seconds.
    assert 0 < ttl_ms <= 4 * conductor.settings.alive_interval * 1000
    conductor.stop()
    deadline = time.monotonic() + 4 * conductor.settings.alive_interval + 1
    while _alive(redis_url, redis_prefix, cell_uuid):
        assert time.monotonic() < deadline, "the cell stayed alive after its conductor stopped"
        time.sleep(0.1)
